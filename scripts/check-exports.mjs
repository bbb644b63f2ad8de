// Loads every public subpath of the built package through both module systems, so a broken `exports`
// map or a missing build output fails CI rather than a user's install.

import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const require = createRequire(import.meta.url);
let failures = 0;
for (const [subpath, target] of Object.entries(pkg.exports)) {
  if (typeof target === "string") continue;
  const specifier = subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
  const esm = await import(specifier);
  if (!target.require) {
    console.log(`${specifier}: ${Object.keys(esm).length} ESM exports (ESM only)`);
    if (Object.keys(esm).length === 0) failures++;
    continue;
  }
  const cjs = require(specifier);
  const esmNames = Object.keys(esm)
    .filter((k) => k !== "default")
    .sort();
  const cjsNames = Object.keys(cjs).sort();
  const same = JSON.stringify(esmNames) === JSON.stringify(cjsNames);
  console.log(
    `${specifier}: ${esmNames.length} ESM exports, ${cjsNames.length} CJS exports${same ? "" : "  MISMATCH"}`,
  );
  if (!same || esmNames.length === 0) failures++;
}
// Stack traces through a source map point at `src/...`, which the package does not ship: each map must carry
// the sources themselves (esbuild's sourcesContent), or a user's debugger shows nothing.
const dist = new URL("../dist/", import.meta.url);
for (const file of readdirSync(dist).filter((f) => f.endsWith(".map"))) {
  const map = JSON.parse(readFileSync(new URL(file, dist), "utf8"));
  const missing = map.sources.filter((_, i) => typeof map.sourcesContent?.[i] !== "string");
  if (missing.length > 0) {
    console.log(`dist/${file}: no sources for ${missing.join(", ")}`);
    failures++;
  }
}
process.exit(failures === 0 ? 0 : 1);
