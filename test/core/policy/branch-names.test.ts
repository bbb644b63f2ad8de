import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkBranchName, defaultFeatureBranch } from "../../../src/core/policy/branch-names.js";

const verdict = (name: string) => {
  const r = checkBranchName(name);
  return r.isOk() ? "ok" : r.error.code;
};

describe("branch names", () => {
  it.each([
    "main",
    "feature/x",
    "rungate/00000000-0000-4000-8000-000000000064",
    "release/1.2.3",
    "fix_bug-42",
    "a+b=c",
    "a.b",
    "foo.lock.d",
  ])("accepts %j", (name) => {
    expect(checkBranchName(name)._unsafeUnwrap()).toBe(name);
  });

  it.each([
    ["", "not empty"],
    ["@", 'not exactly "@"'],
    ["HEAD", 'not "HEAD"'],
    ["-x", 'no leading "-"'],
    ["a..b", 'no ".."'],
    ["a b", "no control characters or spaces"],
    ["a\tb", "no control characters or spaces"],
    ["a\u007fb", "no control characters or spaces"],
    ["$(rm -rf)", "no control characters or spaces"],
    ["a~1", 'no "~", "^" or ":"'],
    ["a^b", 'no "~", "^" or ":"'],
    ["a:b", 'no "~", "^" or ":"'],
    ["a?", 'no "?", "*" or "["'],
    ["a*", 'no "?", "*" or "["'],
    ["a[b", 'no "?", "*" or "["'],
    ["a\\b", 'no "\\"'],
    ["x@{y}", 'no "@{"'],
    ["/x", 'not starting or ending with "/"'],
    ["x/", 'not starting or ending with "/"'],
    ["a//b", 'no "//"'],
    ["x.", 'not ending with "."'],
    [".x", 'no component starting with "."'],
    ["a/.b", 'no component starting with "."'],
    ["x.lock", 'no component ending with ".lock"'],
    ["a.lock/b", 'no component ending with ".lock"'],
  ])("refuses %j as git does (%s)", (name, rule) => {
    const e = checkBranchName(name)._unsafeUnwrapErr();
    expect(e).toMatchObject({ code: "invalid_branch_name", rule });
    expect(e.message).toContain(JSON.stringify(name));
  });

  it.each([
    "$(rm)",
    "x;y",
    "x|y",
    "x&y",
    "x`id`",
    "x>y",
    "x<y",
    "it's",
    'say"hi"',
    "wow!",
    "#1",
    "100%",
    "(x)",
    "caf\u00e9",
    "\u0430dmin", // Cyrillic a
    "a\u00a0b", // no-break space: git accepts it
    "+main",
    "x@y",
  ])("refuses %j as unsafe although git accepts it", (name) => {
    expect(verdict(name)).toBe("unsafe_branch_name");
  });

  it("names the offending characters", () => {
    const e = checkBranchName("x;y|z")._unsafeUnwrapErr();
    expect(e.rule).toBe("only [A-Za-z0-9._/+=-]");
    expect(e.message).toContain('";|"');
  });

  it("does not throw on a value that is not a string", () => {
    expect(verdict(undefined as unknown as string)).toBe("invalid_branch_name");
  });

  it("accepts only names built from the safe alphabet (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (name) => {
        if (checkBranchName(name).isOk()) {
          expect(name).toMatch(/^[A-Za-z0-9._/+=-]+$/);
          expect(name).not.toMatch(/\.\.|\/\/|^[-/+.]|[/.]$|\.lock(\/|$)|\/\./);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("makes the default feature branch from the card id, and it is a valid name", () => {
    const id = "00000000-0000-4000-8000-000000000064";
    expect(defaultFeatureBranch(id)).toBe(`rungate/${id}`);
    expect(checkBranchName(defaultFeatureBranch(id)).isOk()).toBe(true);
  });
});
