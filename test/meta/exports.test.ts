import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs list shared with tsup.config.ts and package.json.
import { ENTRIES } from "../../scripts/entries.mjs";

// Pins the runtime public surface of every subpath: an accidental export or removal changes these files and
// fails review. The list of subpaths comes from scripts/entries.mjs, the same list tsup builds.
describe("public exports", () => {
  for (const [subpath, [name, source]] of Object.entries(ENTRIES as Record<string, [string, string]>)) {
    it(subpath === "." ? "rungate" : `rungate/${subpath.slice(2)}`, async () => {
      const mod = (await import(`../../${source}`)) as Record<string, unknown>;
      await expect(`${Object.keys(mod).sort().join("\n")}\n`).toMatchFileSnapshot(
        `./public-api/${name === "index" ? "rungate" : name}.txt`,
      );
    });
  }
});

describe("the public names inside this repository", () => {
  it("tsconfig.json maps each subpath to the source entry tsup builds it from", async () => {
    const { readFileSync } = await import("node:fs");
    // tsconfig.json is JSONC: drop the line comments before parsing.
    const text = readFileSync(new URL("../../tsconfig.json", import.meta.url), "utf8").replace(
      /^\s*\/\/.*$/gm,
      "",
    );
    const paths = (JSON.parse(text) as { compilerOptions: { paths: Record<string, string[]> } })
      .compilerOptions.paths;
    const expected = Object.fromEntries(
      Object.entries(ENTRIES as Record<string, [string, string]>).map(([subpath, [, source]]) => [
        subpath === "." ? "rungate" : `rungate/${subpath.slice(2)}`,
        [`./${source}`],
      ]),
    );
    expect(paths).toEqual(expected);
  });
});
