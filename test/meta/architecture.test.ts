import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { init, parse } from "es-module-lexer";
import { beforeAll, describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : full.endsWith(".ts") ? [full] : [];
  });
}

/**
 * The specifiers a file imports, read by es-module-lexer (the lexer rungate's own import rules use): import
 * statements, re-exports and literal dynamic imports, never text that only looks like one in a comment.
 */
function importsOf(file: string): string[] {
  const [imports] = parse(readFileSync(file, "utf8"), file);
  return imports.map((i) => i.specifier ?? "(computed)");
}

beforeAll(async () => {
  await init;
});

// semver: version arithmetic only (no I/O), for the dependency policy's ranges.
const PURE_ALLOWED = new Set(["zod", "neverthrow", "picomatch", "semver"]);

describe("architecture", () => {
  it("keeps src/core pure: only zod, neverthrow, picomatch, semver and relative imports inside core", () => {
    const offenders: string[] = [];
    for (const file of filesUnder(join(root, "src", "core"))) {
      for (const spec of importsOf(file)) {
        const inside =
          spec.startsWith(".") &&
          !relative(join(root, "src", "core"), join(file, "..", spec)).startsWith("..");
        if (!inside && !PURE_ALLOWED.has(spec)) offenders.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps adapters apart: an adapter imports ports, core and shared internals, never another adapter, the orchestrator or testing", () => {
    const adaptersDir = join(root, "src", "adapters");
    const offenders: string[] = [];
    for (const file of filesUnder(adaptersDir)) {
      const own = relative(adaptersDir, file).split("/")[0] ?? "";
      for (const spec of importsOf(file).filter((s) => s.startsWith("."))) {
        const target = relative(join(root, "src"), join(file, "..", spec));
        const [top, second] = target.split("/");
        const allowed =
          top === "core" || top === "ports" || top === "internal" || (top === "adapters" && second === own);
        if (!allowed) offenders.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("keeps core free of clocks and randomness", () => {
    const code = (f: string) =>
      readFileSync(f, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
    const offenders = filesUnder(join(root, "src", "core")).filter((f) =>
      /\bDate\.now\(|new Date\(\)|Math\.random\(|\bcrypto\.|\bprocess\./.test(code(f)),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });

  it("never lets library code unwrap a Result (neverthrow's test-only escape hatch)", () => {
    const offenders = filesUnder(join(root, "src")).filter((f) =>
      /_unsafeUnwrap/.test(readFileSync(f, "utf8")),
    );
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
