import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  countAssertions,
  describeTestIntegrityFindings,
  judgeTestIntegrity,
  TEST_INTEGRITY_FINDING_KINDS,
  type TestIntegrityFile,
  type TestIntegrityFinding,
  testIntegrityOutcome,
} from "../../../src/core/policy/test-integrity.js";
import { TestIntegrityPolicy } from "../../../src/core/schemas/test-integrity-policy.js";

const policy = TestIntegrityPolicy.parse(undefined);

const modified = (path: string, before: string, after: string): TestIntegrityFile => ({
  path,
  previous_path: null,
  status: "modified",
  before,
  after,
});

function judge(...files: TestIntegrityFile[]): TestIntegrityFinding[] {
  return judgeTestIntegrity(files, policy)._unsafeUnwrap();
}

const kinds = (findings: readonly TestIntegrityFinding[]) => findings.map((f) => f.kind);

const SPEC = `import { describe, expect, it } from "vitest";

describe("cart", () => {
  it("adds", () => {
    expect(add(1, 2)).toBe(3);
    expect(add(0, 0)).toEqual(0);
  });

  it("removes", () => {
    expect(remove([1], 1)).toEqual([]);
  });
});
`;

describe("test integrity policy", () => {
  it("defaults to on, asking for a test_change approval, with test, config and script lists", () => {
    expect(policy.enabled).toBe(true);
    expect(policy.on_finding).toBe("require_approval");
    expect(policy.test_globs).toContain("**/*.test.*");
    expect(policy.config_globs).toContain("**/.github/workflows/**");
    expect(policy.test_scripts).toContain("test");
  });

  it("keeps a host's own keys", () => {
    expect(TestIntegrityPolicy.parse({ mine: 1 })).toMatchObject({ mine: 1, enabled: true });
  });
});

describe("judgeTestIntegrity: each test-weakening kind is caught", () => {
  it("a deleted test file", () => {
    const findings = judge({
      path: "src/cart.test.ts",
      previous_path: null,
      status: "deleted",
      before: SPEC,
      after: null,
    });
    expect(kinds(findings)).toEqual(["test_deleted"]);
  });

  it("a test file renamed to a path the runner does not pick up", () => {
    const findings = judge({
      path: "src/cart.disabled.ts",
      previous_path: "src/cart.test.ts",
      status: "renamed",
      before: SPEC,
      after: SPEC,
    });
    expect(findings).toEqual([
      {
        kind: "test_renamed_away",
        path: "src/cart.disabled.ts",
        line: null,
        message: "the test file src/cart.test.ts was moved to a path that is not a test file",
      },
    ]);
  });

  it("fewer assertions in a changed test file, counts in the message", () => {
    const after = SPEC.replace("    expect(add(0, 0)).toEqual(0);\n", "");
    const findings = judge(modified("src/cart.test.ts", SPEC, after));
    expect(findings).toEqual([
      {
        kind: "assertions_reduced",
        path: "src/cart.test.ts",
        line: null,
        message: "assertions went from 3 to 2",
      },
    ]);
  });

  it("a renamed test file with fewer assertions", () => {
    const findings = judge({
      path: "test/cart.test.ts",
      previous_path: "src/cart.test.ts",
      status: "renamed",
      before: SPEC,
      after: SPEC.replace("expect(add(0, 0)).toEqual(0);", "// expect(add(0, 0)).toEqual(0);"),
    });
    expect(kinds(findings)).toEqual(["assertions_reduced"]);
  });

  it("a test file that became unreadable (binary, a symlink)", () => {
    const findings = judge({
      ...modified("src/cart.test.ts", SPEC, ""),
      status: "type_changed",
      after: null,
    });
    expect(kinds(findings)).toEqual(["assertions_reduced"]);
    expect(findings[0]?.message).toContain("no readable test code");
  });

  it.each([
    ["it.skip", `  it.skip("adds", () => {`, ".skip"],
    ["test.skip", `  test.skip("adds", () => {`, ".skip"],
    ["describe.skip", `describe.skip("cart", () => {`, ".skip"],
    ["it.skipIf", `  it.skipIf(ci)("adds", () => {`, ".skipIf"],
    ["it.fails", `  it.fails("adds", () => {`, ".fails"],
    ["xit", `  xit("adds", () => {`, "xit"],
    ["xdescribe", `xdescribe("cart", () => {`, "xdescribe"],
    ["ctx.skip()", `  it("adds", (ctx) => { ctx.skip();`, ".skip"],
  ])("a new %s in a JS/TS test", (_name, line, marker) => {
    const after = SPEC.replace(/^.*(?:it\("adds"|describe\("cart").*$/m, line);
    const findings = judge(modified("src/cart.test.ts", SPEC, after));
    expect(kinds(findings)).toEqual(["skip_marker_added"]);
    expect(findings[0]?.message).toContain(`"${marker}"`);
    expect(findings[0]?.line).toBe(after.split("\n").indexOf(line) + 1);
  });

  it.each([
    ["it.only", `  it.only("adds", () => {`],
    ["test.only", `  test.only("adds", () => {`],
    ["describe.only", `describe.only("cart", () => {`],
    ["fit", `  fit("adds", () => {`],
    ["fdescribe", `fdescribe("cart", () => {`],
  ])("a new %s focus marker", (_name, line) => {
    const after = SPEC.replace(/^.*(?:it\("adds"|describe\("cart").*$/m, line);
    expect(kinds(judge(modified("src/cart.spec.ts", SPEC, after)))).toEqual(["only_marker_added"]);
  });

  it("a focus marker in a new test file (it silences the rest of the suite)", () => {
    const findings = judge({
      path: "src/new.test.ts",
      previous_path: null,
      status: "added",
      before: null,
      after: `it.only("x", () => { expect(1).toBe(1); });\n`,
    });
    expect(findings.map((f) => [f.kind, f.line])).toEqual([["only_marker_added", 1]]);
  });

  const PY = `import pytest\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\ndef test_remove():\n    assert remove([1], 1) == []\n`;

  it.each([
    ["@pytest.mark.skip", `@pytest.mark.skip(reason="flaky")`],
    ["@pytest.mark.skipif", `@pytest.mark.skipif(True, reason="x")`],
    ["@pytest.mark.xfail", `@pytest.mark.xfail`],
    ["@unittest.skip", `@unittest.skip("later")`],
  ])("a new %s in a Python test", (_name, decorator) => {
    const after = PY.replace("def test_add", `${decorator}\ndef test_add`);
    const findings = judge(modified("tests/test_cart.py", PY, after));
    expect(findings.map((f) => [f.kind, f.line])).toEqual([["skip_marker_added", 4]]);
  });

  it("pytest.skip() inside a test, and fewer Python assertions", () => {
    const after = PY.replace("    assert remove([1], 1) == []", "    pytest.skip('later')");
    expect(kinds(judge(modified("pkg/cart_test.py", PY, after)))).toEqual([
      "assertions_reduced",
      "skip_marker_added",
    ]);
  });

  it("Go t.Skip() and fewer t.Errorf", () => {
    const before = `func TestAdd(t *testing.T) {\n\tif add(1, 2) != 3 {\n\t\tt.Errorf("bad")\n\t}\n\trequire.Equal(t, 0, add(0, 0))\n}\n`;
    const after = `func TestAdd(t *testing.T) {\n\tt.Skip("later")\n\trequire.Equal(t, 0, add(0, 0))\n}\n`;
    expect(judge(modified("cart/cart_test.go", before, after)).map((f) => [f.kind, f.line])).toEqual([
      ["assertions_reduced", null],
      ["skip_marker_added", 2],
    ]);
  });

  it("Rust #[ignore], also on unit tests inside src (#[cfg(test)])", () => {
    const before = `fn add() {}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(add(1, 2), 3); }\n}\n`;
    const after = before.replace("    #[test]\n", "    #[test]\n    #[ignore]\n");
    expect(judge(modified("src/lib.rs", before, after)).map((f) => [f.kind, f.line])).toEqual([
      ["skip_marker_added", 5],
    ]);
    // Dropping the whole test module of a source file loses its assertions.
    expect(kinds(judge(modified("src/lib.rs", before, "fn add() {}\n")))).toEqual(["assertions_reduced"]);
  });

  it.each([
    "vitest.config.ts",
    "packages/web/jest.config.js",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    "pytest.ini",
    "tox.ini",
    ".nycrc.json",
    "karma.conf.js",
    "playwright.config.ts",
    ".ci/run-tests.sh",
    "codecov.yml",
    "tests/conftest.py",
  ])("a change to the test configuration %s", (path) => {
    const findings = judge(modified(path, "a: 1\n", "a: 2\n"));
    expect(kinds(findings)).toContain("test_config_changed");
  });

  it("a config file deleted, added or moved away", () => {
    expect(
      kinds(
        judge({ path: "vitest.config.ts", previous_path: null, status: "deleted", before: "x", after: null }),
      ),
    ).toEqual(["test_config_changed"]);
    expect(
      kinds(judge({ path: ".mocharc.yml", previous_path: null, status: "added", before: null, after: "x" })),
    ).toEqual(["test_config_changed"]);
    const moved = judge({
      path: "old/ci.yml",
      previous_path: ".github/workflows/ci.yml",
      status: "renamed",
      before: "x",
      after: "x",
    });
    expect(moved.map((f) => f.message)).toEqual([
      "test or CI configuration moved from .github/workflows/ci.yml",
    ]);
  });

  it("a changed package.json test script or test-runner key, but not its dependencies", () => {
    const pkg = (test: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ scripts: { test, build: "tsc" }, dependencies: { zod: "4" }, ...extra }, null, 2);
    const findings = judge(modified("package.json", pkg("vitest run"), pkg("vitest run --passWithNoTests")));
    expect(findings).toEqual([
      {
        kind: "test_script_changed",
        path: "package.json",
        line: null,
        message: `the test script "test" changed: "vitest run" → "vitest run --passWithNoTests"`,
      },
    ]);
    expect(
      kinds(
        judge(modified("web/package.json", pkg("jest"), pkg("jest", { jest: { coverageThreshold: {} } }))),
      ),
    ).toEqual(["test_config_changed"]);
    const deps = JSON.stringify({ scripts: { test: "jest" }, dependencies: { zod: "5" } });
    expect(judge(modified("package.json", pkg("jest"), deps))).toEqual([]);
  });

  it("a changed test section of pyproject.toml, not its other sections", () => {
    const toml = (failUnder: number, version: string) =>
      `[project]\nversion = "${version}"\n\n[tool.coverage.report]\nfail_under = ${failUnder}\n`;
    expect(judge(modified("pyproject.toml", toml(90, "1"), toml(50, "1"))).map((f) => f.message)).toEqual([
      "the test configuration section [tool.coverage.report] changed",
    ]);
    expect(judge(modified("pyproject.toml", toml(90, "1"), toml(90, "2")))).toEqual([]);
    const pytest = (opts: string) =>
      `[tool.pytest.ini_options]\naddopts = [\n  ${opts}\n]\n[project]\nname = "x"\n`;
    expect(
      judge(modified("pyproject.toml", pytest(`"-ra"`), pytest(`"-ra", "-k", "not slow"`))).map(
        (f) => f.message,
      ),
    ).toEqual(["the test configuration section [tool.pytest.ini_options] changed"]);
  });

  it("a skip moved to another test: one skip removed, another added, is still a new skip", () => {
    const before = SPEC.replace(`it("removes"`, `it.skip("removes"`);
    const after = SPEC.replace(`it("adds"`, `it.skip("adds"`);
    expect(judge(modified("src/cart.test.ts", before, after)).map((f) => [f.kind, f.line])).toEqual([
      ["skip_marker_added", 4],
    ]);
  });

  it("every finding kind is produced by some case above (the list is the source of truth)", () => {
    // Keeps this file honest when a kind is added: each kind must have a case that catches it.
    const caught = new Set<string>([
      ...kinds(
        judge({ path: "a.test.ts", previous_path: null, status: "deleted", before: SPEC, after: null }),
      ),
      ...kinds(
        judge({ path: "a.ts", previous_path: "a.test.ts", status: "renamed", before: SPEC, after: SPEC }),
      ),
      ...kinds(judge(modified("a.test.ts", SPEC, "it.skip('x', () => {}); it.only('y', () => {});"))),
      ...kinds(judge(modified("vitest.config.ts", "a", "b"))),
      ...kinds(judge(modified("package.json", '{"scripts":{"test":"a"}}', '{"scripts":{"test":"b"}}'))),
    ]);
    expect([...caught].sort()).toEqual([...TEST_INTEGRITY_FINDING_KINDS].sort());
  });
});

describe("judgeTestIntegrity: legitimate test edits are not findings", () => {
  it("a new assertion", () => {
    const after = SPEC.replace("toEqual([]);", "toEqual([]);\n    expect(remove([], 1)).toEqual([]);");
    expect(judge(modified("src/cart.test.ts", SPEC, after))).toEqual([]);
  });

  it("a renamed test (title) with the same assertions, and a file moved between test paths", () => {
    expect(judge(modified("src/cart.test.ts", SPEC, SPEC.replace(`"adds"`, `"adds two numbers"`)))).toEqual(
      [],
    );
    expect(
      judge({
        path: "test/cart.spec.ts",
        previous_path: "src/cart.test.ts",
        status: "renamed",
        before: SPEC,
        after: SPEC,
      }),
    ).toEqual([]);
  });

  it("a new test file, a copied test file, and an unchanged one", () => {
    expect(
      judge({ path: "src/b.test.ts", previous_path: null, status: "added", before: null, after: SPEC }),
    ).toEqual([]);
    expect(
      judge({
        path: "src/c.test.ts",
        previous_path: "src/cart.test.ts",
        status: "copied",
        before: SPEC,
        after: "",
      }),
    ).toEqual([]);
    expect(judge(modified("src/cart.test.ts", SPEC, SPEC))).toEqual([]);
  });

  it("a file that already had a .skip, edited elsewhere (and the skipped test moved)", () => {
    const before = SPEC.replace(`it("removes"`, `it.skip("removes"`);
    const after = `${before.replace("expect(add(0, 0)).toEqual(0);", "expect(add(0, 0)).toBe(0);")}\n// moved\n`;
    expect(judge(modified("src/cart.test.ts", before, after))).toEqual([]);
    const reordered = before.replace(
      /( {2}it\("adds"[\s\S]*?\n {2}\}\);\n)\n( {2}it\.skip[\s\S]*?\n {2}\}\);\n)/,
      "$2\n$1",
    );
    expect(reordered).not.toBe(before);
    expect(judge(modified("src/cart.test.ts", before, reordered))).toEqual([]);
  });

  it("a non-test file with the word skip, or .only, in it", () => {
    const before = "export const a = 1;\n";
    const after = "export const skip = (n) => list.skip(n);\nexport const one = items.only(1);\n";
    expect(judge(modified("src/list.ts", before, after))).toEqual([]);
    expect(judge(modified("README.md", "", "Use it.skip to skip a test."))).toEqual([]);
  });

  it("a comment that contains expect( or .skip(", () => {
    const after = SPEC.replace(
      "    expect(add(0, 0)).toEqual(0);",
      "    // expect(add(0, 0)).toEqual(0);  it.skip(\n    expect(add(0, 0)).toEqual(0); /* xit( */",
    );
    expect(judge(modified("src/cart.test.ts", SPEC, after))).toEqual([]);
    const py = "def test_a():\n    assert a()\n";
    expect(judge(modified("tests/test_a.py", py, `${py}# @pytest.mark.skip\n# assert b()\n`))).toEqual([]);
  });

  it("markers and assertions inside string literals or docstrings", () => {
    const after = SPEC.replace(
      "    expect(remove([1], 1)).toEqual([]);",
      '    expect(remove([1], 1)).toEqual([]);\n    log("use it.skip( or xit( to skip, expect( to assert", `it.only(`);',
    );
    expect(judge(modified("src/cart.test.ts", SPEC, after))).toEqual([]);
    const py = "def test_a():\n    assert a()\n";
    const documented = `def test_a():\n    """Checks a.\n\n    assert a() is what we want; @pytest.mark.skip it when flaky.\n    """\n    assert a()\n`;
    expect(judge(modified("tests/test_a.py", py, documented))).toEqual([]);
    expect(countAssertions("tests/test_a.py", documented)).toBe(1);
  });

  it("a change to a package.json that leaves tests alone, and a package.json key order change", () => {
    expect(
      judge(
        modified(
          "package.json",
          '{"scripts":{"test":"vitest run","build":"tsc"},"jest":{"a":1,"b":2}}',
          '{"jest":{"b":2,"a":1},"scripts":{"build":"tsup","test":"vitest run"},"version":"2.0.0"}',
        ),
      ),
    ).toEqual([]);
  });

  it("nothing at all when the policy is off", () => {
    const off = TestIntegrityPolicy.parse({ enabled: false });
    const files = [
      { path: "a.test.ts", previous_path: null, status: "deleted", before: SPEC, after: null },
    ] as const;
    expect(judgeTestIntegrity(files, off)._unsafeUnwrap()).toEqual([]);
  });
});

describe("countAssertions", () => {
  it("counts expect(x).toBe(y) once and ignores asymmetric helpers, comments and matchers", () => {
    const code = [
      `expect(a).toBe(1);`,
      `expect(b).toEqual(expect.objectContaining({ x: expect.any(String) }));`,
      `expect.assertions(2);`,
      `await expect.poll(() => c).toBe(2);`,
      `assert.equal(d, 1); assert(e);`,
      `// expect(f).toBe(1)`,
      `const url = "http://x"; expect(g).toBe(url);`,
    ].join("\n");
    expect(countAssertions("a.test.ts", code)).toBe(6);
  });

  it("reads Python, Go and Rust by their own tokens, and no data file", () => {
    expect(countAssertions("test_a.py", "assert a\nself.assertEqual(a, b)\nm.assert_called_once()\n")).toBe(
      3,
    );
    expect(countAssertions("a_test.go", "t.Fatal(x)\nassert.Equal(t, a, b)\n// t.Error(y)\n")).toBe(2);
    expect(countAssertions("tests/a.rs", "assert!(a);\nassert_eq!(a, b);\nprop_assert_ne!(a, c);\n")).toBe(3);
    expect(countAssertions("test/fixture.json", `{"expect(": 1}`)).toBeNull();
  });
});

describe("invalid policy globs", () => {
  it("fail with a validation error naming every unusable glob", () => {
    const bad = TestIntegrityPolicy.parse({ test_globs: ["**/*.test.*", "!x"], config_globs: ["../ci/**"] });
    const result = judgeTestIntegrity([], bad);
    expect(result.isErr()).toBe(true);
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe("validation");
    expect(error.code).toBe("invalid_glob");
    expect(error.detail.issues.map((i) => i.path)).toEqual([
      ["test_integrity", "test_globs", 1],
      ["test_integrity", "config_globs", 0],
    ]);
  });
});

describe("outcome and description", () => {
  const findings = judge(
    { path: "a.test.ts", previous_path: null, status: "deleted", before: SPEC, after: null },
    modified("b.test.ts", SPEC, SPEC.replace(`it("adds"`, `it.only("adds"`)),
  );

  it("passes without findings, otherwise does what the policy says", () => {
    expect(testIntegrityOutcome([], policy)).toBe("pass");
    expect(testIntegrityOutcome(findings, policy)).toBe("require_approval");
    expect(testIntegrityOutcome(findings, { on_finding: "fail" })).toBe("fail");
  });

  it("describes one finding per line, with the line when there is one", () => {
    expect(describeTestIntegrityFindings(findings).split("\n")).toEqual([
      "a.test.ts: the test file was deleted [test_deleted]",
      `b.test.ts:4: new focus marker ".only" (every other test stops running): it.only("adds", () => { [only_marker_added]`,
    ]);
    expect(describeTestIntegrityFindings([])).toBe("");
  });
});

describe("properties", () => {
  const assertion = fc.constantFrom(
    "    expect(x).toBe(1);",
    "    expect(y).toEqual(expect.any(Number));",
    "    assert.ok(z);",
    "    expect.soft(w).toBeTruthy();",
  );
  const neutral = fc.constantFrom("    const x = 1;", "    // note", "    await tick();", "");

  it("adding assertions or neutral lines to a test file never produces a finding", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(assertion, neutral), { maxLength: 8 }),
        fc.array(fc.tuple(fc.nat(), fc.oneof(assertion, neutral)), { maxLength: 8 }),
        (body, inserts) => {
          const lines = [`it("x", () => {`, ...body, "});"];
          const before = lines.join("\n");
          const grown = [...lines];
          for (const [at, line] of inserts) grown.splice(1 + (at % (grown.length - 1)), 0, line);
          expect(judge(modified("src/x.test.ts", before, grown.join("\n")))).toEqual([]);
        },
      ),
    );
  });

  it("removing any assertion line from a test file is always assertions_reduced", () => {
    fc.assert(
      fc.property(fc.array(assertion, { minLength: 1, maxLength: 8 }), fc.nat(), (body, pick) => {
        const before = [`it("x", () => {`, ...body, "});"];
        const after = before.filter((_, i) => i !== 1 + (pick % body.length));
        expect(kinds(judge(modified("src/x.test.ts", before.join("\n"), after.join("\n"))))).toEqual([
          "assertions_reduced",
        ]);
      }),
    );
  });
});
