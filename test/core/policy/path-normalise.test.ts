import { describe, expect, it } from "vitest";
import { normaliseGlob, normaliseRepoPath } from "../../../src/core/policy/path-normalise.js";

const issueOf = (r: ReturnType<typeof normaliseRepoPath>) => (r.isErr() ? r.error.code : `ok:${r.value}`);

describe("normaliseRepoPath", () => {
  describe("refuses paths that could leave the repository", () => {
    it.each([
      ["../x", "traversal"],
      ["a/../../b", "traversal"],
      ["a/../b", "traversal"],
      ["a/..", "traversal"],
      ["./..", "traversal"],
      ["/etc/passwd", "absolute"],
      ["//srv/x", "absolute"],
      ["C:/x", "absolute"],
      ["C:", "absolute"],
      ["c:x", "absolute"],
      ["C:\\x", "backslash"],
      ["a\\..\\b", "backslash"],
      ["a\\b", "backslash"],
    ])("%j → %s", (path, code) => {
      expect(issueOf(normaliseRepoPath(path))).toBe(code);
    });
  });

  describe("refuses unprintable and empty paths", () => {
    it.each([
      ["", "empty"],
      ["   ", "empty"],
      [".", "empty"],
      ["./", "empty"],
      ["a\u0000b", "nul"],
      ["\u0000", "nul"],
      ["a\nb", "control_char"],
      ["a\tb", "control_char"],
      ["a\u001bb", "control_char"],
      ["a\u007fb", "control_char"],
      ["a\u0085b", "control_char"],
    ])("%j → %s", (path, code) => {
      expect(issueOf(normaliseRepoPath(path))).toBe(code);
    });

    it("refuses a value that is not a string instead of throwing", () => {
      expect(issueOf(normaliseRepoPath(42 as unknown as string))).toBe("empty");
      expect(issueOf(normaliseRepoPath(undefined as unknown as string))).toBe("empty");
    });
  });

  describe("cleans up what is safe", () => {
    it.each([
      ["./a//b/./c/", "a/b/c"],
      ["a/b/c", "a/b/c"],
      ["./src/index.ts", "src/index.ts"],
      ["././a", "a"],
      ["a/", "a"],
      [".env", ".env"],
      ["...", "..."],
      ["a/..b/c..", "a/..b/c.."],
      [" a ", " a "],
    ])("%j → %j", (path, expected) => {
      expect(normaliseRepoPath(path)._unsafeUnwrap()).toBe(expected);
    });

    it("normalises decomposed (NFD) names to NFC, so é is one code point", () => {
      const nfd = "docs/caf\u0065\u0301.md";
      const out = normaliseRepoPath(nfd)._unsafeUnwrap();
      expect(out).toBe("docs/caf\u00e9.md");
      expect(out).toBe(nfd.normalize("NFC"));
    });

    it("explains each refusal in a sentence", () => {
      const e = normaliseRepoPath("a/../b")._unsafeUnwrapErr();
      expect(e.message).toMatch(/"\.\." segment/);
    });
  });
});

describe("normaliseGlob", () => {
  it("refuses a leading negation: deny rules belong in forbidden_paths", () => {
    expect(issueOf(normaliseGlob("!src/**"))).toBe("negation");
    expect(issueOf(normaliseGlob("./!src/**"))).toBe("negation");
    expect(issueOf(normaliseGlob("!"))).toBe("negation");
  });

  it("accepts a ! that is not a leading negation (extglob)", () => {
    expect(normaliseGlob("src/!(gen)/**")._unsafeUnwrap()).toBe("src/!(gen)/**");
  });

  it.each([
    ["../**", "traversal"],
    ["src/../**", "traversal"],
    ["/etc/**", "absolute"],
    ["C:/**", "absolute"],
    ["src\\*.ts", "backslash"],
    ["", "empty"],
    ["  ", "empty"],
    ["a\u0000*", "nul"],
    ["a\n*", "control_char"],
  ])("applies the path safety rules: %j → %s", (glob, code) => {
    expect(issueOf(normaliseGlob(glob))).toBe(code);
  });

  it.each([
    ["src/", "src/**"],
    ["./src//", "src/**"],
    ["src/**/", "src/**"],
    ["src/**", "src/**"],
    ["./**/*.ts", "**/*.ts"],
    ["{a,b}/[xy]?.md", "{a,b}/[xy]?.md"],
    ["package.json", "package.json"],
  ])("reads a trailing / as a directory and cleans up: %j → %j", (glob, expected) => {
    expect(normaliseGlob(glob)._unsafeUnwrap()).toBe(expected);
  });

  it("normalises globs to NFC too", () => {
    expect(normaliseGlob("caf\u0065\u0301/**")._unsafeUnwrap()).toBe("caf\u00e9/**");
  });
});
