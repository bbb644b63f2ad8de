import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..", "..");

/** README.md and every markdown file under docs/, except the generated API site (docs/api). */
function markdownFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return full === join(root, "docs", "api") ? [] : walk(full);
      return name.endsWith(".md") ? [full] : [];
    });
  return [join(root, "README.md"), ...walk(join(root, "docs"))];
}

/** The lines of a markdown file outside fenced code blocks (``` or ~~~), with their 1-based numbers. */
function proseLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | null = null;
  for (const [i, raw] of text.split("\n").entries()) {
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
    const closes =
      fence !== null && marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length;
    if (fence === null && marker !== undefined) fence = marker;
    else if (closes) fence = null;
    else if (fence === null) out.push({ line: i + 1, text: raw });
  }
  return out;
}

/** The targets of inline links and images, `[text](target "title")`, and of `[ref]: target` definitions. */
function linkTargets(line: string): string[] {
  const prose = line.replace(/(`+)[\s\S]*?\1/g, ""); // a link inside a code span is text
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? "");
  const definition = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose)?.[1];
  return definition === undefined ? inline : [...inline, definition];
}

/**
 * GitHub's anchor for a heading (github-slugger): the heading's text without markup, lower-cased, every
 * character that is not a letter, mark, number, `_`, `-` or space dropped, each space made `-`.
 */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/[`*]/g, ""); // code spans and emphasis markers
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a markdown file offers: its headings' slugs (duplicates numbered) and explicit HTML ids. */
function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(readFileSync(file, "utf8"))) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading !== undefined) {
      const base = slug(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const m of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] ?? "");
  }
  return anchors;
}

/** Why a relative link from `file` does not resolve, or `null` when it does. */
function problemWith(file: string, target: string): string | null {
  const [pathPart = "", fragment] = target.split("#", 2);
  const path = decodeURIComponent(pathPart);
  const resolved = path === "" ? file : resolve(dirname(file), path);
  const inRepo = relative(root, resolved);
  if (inRepo.startsWith("..") || inRepo.startsWith(sep)) return "points outside the repository";
  if (inRepo === "src" || inRepo.startsWith(`src${sep}`)) return "points into src/, which does not ship";
  if (!existsSync(resolved)) return "no such file or directory";
  if (fragment === undefined || fragment === "") return null;
  if (statSync(resolved).isDirectory() || !resolved.endsWith(".md"))
    return `#${fragment} on a file without headings`;
  return anchorsOf(resolved).has(fragment) ? null : `no heading with the anchor #${fragment}`;
}

describe("markdown links", () => {
  it("resolve: every relative link in README.md and docs/**/*.md names a file or directory of the repository, and every #fragment a heading of its target", () => {
    const broken: string[] = [];
    for (const file of markdownFiles()) {
      for (const { line, text } of proseLines(readFileSync(file, "utf8"))) {
        for (const target of linkTargets(text)) {
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http(s), mailto: not fetched
          const problem = problemWith(file, target);
          if (problem !== null) broken.push(`${relative(root, file)}:${line}: (${target}) ${problem}`);
        }
      }
    }
    expect(broken, `broken links:\n${broken.join("\n")}`).toEqual([]);
  });

  it("computes GitHub's anchors: punctuation dropped, code kept, spaces to dashes, duplicates numbered", () => {
    expect(slug("Containment in the git adapter (`bench/git-containment.ts`), 2026-12-05")).toBe(
      "containment-in-the-git-adapter-benchgit-containmentts-2026-12-05",
    );
    expect(slug("Reading an agent's work back")).toBe("reading-an-agents-work-back");
    expect(slug("What a rule covers: examples")).toBe("what-a-rule-covers-examples");
    expect(slug("`.git`, `.gitmodules` and names")).toBe("git-gitmodules-and-names");
    expect(slug("A — B")).toBe("a--b");
    expect(slug("snake_case [link](x.md)")).toBe("snake_case-link");
  });
});
