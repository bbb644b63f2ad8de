// The size of what `npm pack` ships, per public entry: `node scripts/packed-size.mjs` after `npm run build`
// prints the table; `--write` puts it into docs/benchmarks.md between the packed-size markers.
// Each entry is built without code splitting (tsup.config.ts), so its .js file is all an ESM import of that
// subpath loads from rungate (its dependencies come on top).
import { execFileSync } from "node:child_process";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { ENTRIES, ESM_ONLY } from "./entries.mjs";

const root = new URL("../", import.meta.url);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const size = (file) => statSync(new URL(`dist/${file}`, root)).size;

const rows = Object.entries(ENTRIES).map(([subpath, [name]]) => {
  const js = readFileSync(new URL(`dist/${name}.js`, root));
  const specifier = subpath === "." ? "rungate" : `rungate/${subpath.slice(2)}`;
  const cjs = ESM_ONLY.has(subpath) ? "ESM only" : kb(size(`${name}.cjs`));
  return `| \`${specifier}\` | ${kb(js.length)} | ${kb(gzipSync(js).length)} | ${cjs} | ${kb(size(`${name}.js.map`))} | ${kb(size(`${name}.d.ts`))} |`;
});

// The `rungate` command (package.json "bin"): one ESM file bundling the library code it uses.
const cli = readFileSync(new URL("dist/cli.js", root));
rows.push(
  `| \`rungate\` command (\`dist/cli.js\`) | ${kb(cli.length)} | ${kb(gzipSync(cli).length)} | none | ${kb(size("cli.js.map"))} | none |`,
);

const [pack] = JSON.parse(
  execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: root, encoding: "utf8" }),
);
const maps = pack.files.filter((f) => f.path.endsWith(".map")).reduce((sum, f) => sum + f.size, 0);
const version = JSON.parse(readFileSync(new URL("package.json", root), "utf8")).version;
const table = [
  `Measured with \`node scripts/packed-size.mjs\` on rungate ${version}, ${new Date().toISOString().slice(0, 10)}.`,
  `The tarball: ${kb(pack.size)} packed, ${kb(pack.unpackedSize)} unpacked, ${pack.entryCount} files; of the unpacked`,
  `size, ${kb(maps)} are source maps, which carry their sources so stack traces point at readable TypeScript.`,
  "",
  "| entry | ESM .js | gzipped | CJS .cjs | .js.map | .d.ts (entry file only) |",
  "|---|---|---|---|---|---|",
  ...rows,
].join("\n");

if (process.argv.includes("--write")) {
  const docUrl = new URL("docs/benchmarks.md", root);
  const doc = readFileSync(docUrl, "utf8");
  const start = "<!-- packed-size:start -->";
  const end = "<!-- packed-size:end -->";
  if (!doc.includes(start) || !doc.includes(end))
    throw new Error(`docs/benchmarks.md lacks ${start} … ${end}`);
  const before = doc.slice(0, doc.indexOf(start) + start.length);
  const after = doc.slice(doc.indexOf(end));
  writeFileSync(docUrl, `${before}\n${table}\n${after}`);
}
console.log(table);
