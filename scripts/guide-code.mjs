// The guides' code, as files the repository's typecheck compiles and its test suite runs: every ```ts block
// of docs/guides/*.md starts with a `// <name>.ts` line and is the file examples/guides/<name>.ts (one folder for
// all guides: a later guide imports an earlier one's file, as a reader's project would).
// `node scripts/guide-code.mjs --write` writes the files from the guides; test/meta/guides.test.ts fails when
// a guide and its files differ, so a block cannot drift from the API unnoticed.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const root = new URL("../", import.meta.url).pathname;

/** Every ts block of every guide: its guide, its file name, and its text. */
export function guideBlocks() {
  const dir = join(root, "docs", "guides");
  const blocks = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    for (const match of text.matchAll(/```ts\n([\s\S]*?)```/g)) {
      const code = match[1] ?? "";
      const name = /^\/\/ ([\w.-]+\.ts)\b/.exec(code)?.[1] ?? null;
      blocks.push({
        guide: basename(file, ".md"),
        name,
        code,
        line: text.slice(0, match.index).split("\n").length,
      });
    }
  }
  return blocks;
}

/** Where a block's file lives. */
export function guideFile(block) {
  return join(root, "examples", "guides", block.name);
}

if (process.argv.includes("--write")) {
  for (const block of guideBlocks()) {
    if (block.name === null)
      throw new Error(`docs/guides/${block.guide}.md:${block.line}: no // <name>.ts line`);
    mkdirSync(join(root, "examples", "guides"), { recursive: true });
    writeFileSync(guideFile(block), block.code);
  }
}
