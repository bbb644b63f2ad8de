import { err, ok, type Result } from "neverthrow";
import { type FieldIssue, rungateError, type ValidationError } from "../errors.js";
import type { ChangeStatus } from "../schemas/changed-file.js";
import type { TestIntegrityAction, TestIntegrityPolicy } from "../schemas/test-integrity-policy.js";
import { compileGlobMatcher, type GlobMatcher } from "./path-rules.js";

/**
 * One changed file as the test-integrity judgement reads it: where it is, where it came from (renames and
 * copies), how it changed, and its text at the base (`before`) and at the head (`after`); a text is `null` when
 * the file does not exist there or is not text (binary, a symlink, a submodule).
 */
export interface TestIntegrityFile {
  readonly path: string;
  readonly previous_path: string | null;
  readonly status: ChangeStatus;
  readonly before: string | null;
  readonly after: string | null;
}

/**
 * What weakened the tests, as data:
 *
 * - `test_deleted`: a test file was deleted.
 * - `test_renamed_away`: a test file was renamed or moved to a path that is not a test file (the runner no
 *   longer picks it up).
 * - `assertions_reduced`: a test file (renamed or not) has fewer assertions than before, or no readable text.
 * - `skip_marker_added`: a line the change adds skips a test or expects it to fail (`it.skip`, `xit`,
 *   `@pytest.mark.skip`, `t.Skip()`, `#[ignore]`, …).
 * - `only_marker_added`: a line the change adds focuses tests (`it.only`, `fdescribe`, …), which silently skips
 *   every other test.
 * - `test_config_changed`: test runner, coverage or CI configuration changed (a config glob, a watched section of
 *   `pyproject.toml`, `setup.cfg` or `Cargo.toml`, or a test-runner key of `package.json`).
 * - `test_script_changed`: a test script of a `package.json` changed.
 */
export const TEST_INTEGRITY_FINDING_KINDS = [
  "test_deleted",
  "test_renamed_away",
  "assertions_reduced",
  "skip_marker_added",
  "only_marker_added",
  "test_config_changed",
  "test_script_changed",
] as const;
/** One of {@link TEST_INTEGRITY_FINDING_KINDS}. */
export type TestIntegrityFindingKind = (typeof TEST_INTEGRITY_FINDING_KINDS)[number];

/**
 * One way a change weakened the tests: the kind, the file (its path at the head; for a deletion, the deleted
 * path), the line at the head when one line is to blame (`null` otherwise), and a sentence about that file.
 */
export interface TestIntegrityFinding {
  readonly kind: TestIntegrityFindingKind;
  readonly path: string;
  readonly line: number | null;
  readonly message: string;
}

/** The parts of a {@link TestIntegrityPolicy} the judgement reads. */
export type TestIntegrityRules = Pick<
  TestIntegrityPolicy,
  "enabled" | "test_globs" | "config_globs" | "test_scripts" | "test_config_keys"
>;

// ---------------------------------------------------------------------------------------------------------
// Languages: how comments look, what counts as an assertion, a skip marker and a focus marker.
// ---------------------------------------------------------------------------------------------------------

/** How a language writes comments: `c` is `//` and `/* *\/`, `hash` is `#`. */
type CommentStyle = "c" | "hash";

interface Language {
  readonly comments: CommentStyle;
  /** One alternation, so a call matched by one token is never counted twice. */
  readonly assertion: RegExp;
  readonly skip: RegExp | null;
  readonly focus: RegExp | null;
}

const JS: Language = {
  comments: "c",
  // `expect(x).toBe(y)` counts once: matchers are never counted, and neither are the asymmetric helpers
  // (`expect.any`, `expect.objectContaining`) nor `expect.assertions(n)`, which sit inside or beside one.
  assertion: new RegExp(
    [
      String.raw`\bexpect(?:TypeOf|Async)?\s*\(`,
      String.raw`\bexpect\.(?:soft|poll)\s*\(`,
      String.raw`(?<![\w$])assert(?:Type)?(?:\.\w+)*\s*\(`,
      String.raw`\.should\b`,
      String.raw`(?<![\w$.])should(?:\.\w+)?\s*\(`,
      String.raw`\bt\.(?:is|not|deepEqual|notDeepEqual|like|true|false|truthy|falsy|throws|throwsAsync|notThrows|notThrowsAsync|regex|notRegex|snapshot|assert|equal|notEqual|strictEqual|same|notSame|ok|notOk|match|notMatch|rejects|resolves|error)\s*\(`,
    ].join("|"),
    "g",
  ),
  // `.fails` / `.failing` turn a failing test green, so they weaken like a skip; `.skipIf` / `.runIf` skip on a
  // condition. `it.todo` is not here: it adds a placeholder and removes nothing (turning a test into a todo
  // loses its assertions, which `assertions_reduced` catches).
  skip: new RegExp(
    [
      String.raw`\.(?:skip|skipIf|runIf|fails|failing)\b(?=\s*[(.])`,
      String.raw`\b(?:xit|xtest|xdescribe|xcontext|xspecify|xsuite)\s*\(`,
    ].join("|"),
    "g",
  ),
  focus: new RegExp(
    [String.raw`\.only\b(?=\s*[(.])`, String.raw`\b(?:fit|fdescribe|ftest|fcontext)\s*\(`].join("|"),
    "g",
  ),
};

const PYTHON: Language = {
  comments: "hash",
  assertion: new RegExp(
    [
      String.raw`^\s*assert\b`,
      String.raw`\bassert[A-Z_]\w*\s*\(`,
      String.raw`\bpytest\.(?:raises|warns|deprecated_call)\s*\(`,
    ].join("|"),
    "g",
  ),
  skip: new RegExp(
    [
      String.raw`\bpytest\.mark\.(?:skip|skipif|xfail)\b`,
      String.raw`\bpytest\.(?:skip|xfail|importorskip)\s*\(`,
      String.raw`@(?:unittest\.)?(?:skip|skipIf|skipUnless|expectedFailure)\b`,
      String.raw`\b(?:unittest\.)?SkipTest\b`,
      String.raw`\.skipTest\s*\(`,
    ].join("|"),
    "g",
  ),
  focus: null,
};

const GO: Language = {
  comments: "c",
  assertion: new RegExp(
    [
      String.raw`\b[tb]\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\s*\(`,
      String.raw`\b(?:assert|require)\.\w+\s*\(`,
      String.raw`\bExpect\s*\(`,
      String.raw`Ω\s*\(`,
    ].join("|"),
    "g",
  ),
  skip: /\b[tb]\.Skip(?:f|Now)?\s*\(/g,
  focus: null,
};

const RUST: Language = {
  comments: "c",
  assertion: /\b\w*assert\w*!\s*[([{]|#\[should_panic\b/g,
  skip: /#\[ignore\b/g,
  focus: null,
};

const RUBY: Language = {
  comments: "hash",
  assertion: new RegExp(
    [
      String.raw`\bexpect\s*[({]`,
      String.raw`\bis_expected\b`,
      String.raw`(?<![\w.])assert\w*\b`,
      String.raw`\.(?:should|must_\w+|wont_\w+)\b`,
    ].join("|"),
    "g",
  ),
  skip: /\b(?:xit|xdescribe|xcontext|xspecify|skip|pending)\b/g,
  focus: /\b(?:fit|fdescribe|fcontext)\b|\bfocus:\s*true|:focus\b/g,
};

/** Java, Kotlin, C#, PHP, Swift, Scala, C and C++: the common xUnit shapes only. */
const OTHER_CODE: Language = {
  comments: "c",
  assertion: /\bassert\w*\s*\(|\bexpect\w*\s*\(|^\s*assert\s/g,
  skip: /@(?:Disabled|Ignore)\b|\[Ignore\b|\bmarkTestSkipped\s*\(|\bSkip\s*=\s*"/g,
  focus: null,
};

const LANGUAGES: ReadonlyMap<string, Language> = new Map([
  ...["js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "vue", "svelte"].map((e) => [e, JS] as const),
  ["py", PYTHON],
  ["go", GO],
  ["rs", RUST],
  ["rb", RUBY],
  ...["java", "kt", "kts", "cs", "php", "swift", "scala", "c", "cc", "cpp", "h", "hpp"].map(
    (e) => [e, OTHER_CODE] as const,
  ),
]);

/** The language of a path, by its last extension; `null` for data files (fixtures, snapshots), never counted. */
function languageOf(path: string): Language | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? null : (LANGUAGES.get(name.slice(dot + 1).toLowerCase()) ?? null);
}

/**
 * Source files that carry their own tests although no test glob matches them: Rust unit tests
 * (`#[cfg(test)]`, `#[test]`) and vitest in-source tests (`import.meta.vitest`). Their markers and assertions
 * are judged; deleting or renaming them is not a test finding.
 */
const IN_SOURCE_TESTS = /#\[cfg\(test\)\]|#\[test\]|\bimport\.meta\.vitest\b/;

// ---------------------------------------------------------------------------------------------------------
// Reading code: comments blanked out, lines counted.
// ---------------------------------------------------------------------------------------------------------

type ScanState = "code" | "line" | "block" | "'" | '"' | "`" | "'''" | '"""';

/** The string delimiter opening at `i`, if any: Python's triple quotes first, backticks only in C-like code. */
function quoteAt(text: string, i: number, style: CommentStyle): ScanState | null {
  const c = text.charAt(i);
  if (style === "hash" && (c === "'" || c === '"') && text.startsWith(c.repeat(3), i)) {
    return c === "'" ? "'''" : '"""';
  }
  if (c === "'" || c === '"' || (c === "`" && style === "c")) return c;
  return null;
}

/** Spaces for every character but newlines. */
const blank = (s: string): string => s.replace(/[^\n]/g, " ");

/**
 * A file's code as two same-shaped texts, newlines kept so line numbers stay true: `code` has every comment
 * replaced by spaces; `bare` also blanks what is inside string literals (the quotes stay), so
 * `"use it.skip to…"` or a test's title never counts as a marker or an assertion. A cheap scanner, not a
 * parser: it knows `//`, `/* *\/` or `#` comments and `'`, `"` (to the line's end), `` ` `` and Python's triple
 * quotes (across lines), but not regular expression literals or Rust lifetimes; a miss keeps a comment or
 * blanks the rest of one line, the same way at the base and at the head.
 */
function scan(text: string, style: CommentStyle): { readonly code: string; readonly bare: string } {
  const code: string[] = [];
  const bare: string[] = [];
  const emit = (kept: string, blanked: string) => {
    code.push(kept);
    bare.push(blanked);
  };
  let state: ScanState = "code";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (state === "line" || state === "block") {
      // `*/` closes a block comment; both characters are consumed together.
      const closes = state === "block" && c === "*" && text.charAt(i + 1) === "/";
      if (closes) i++;
      emit(blank(closes ? "*/" : c), blank(closes ? "*/" : c));
      if (closes || (state === "line" && c === "\n")) state = "code";
    } else if (state === "code") {
      const opener = text.slice(i, i + 2);
      const quote = quoteAt(text, i, style);
      if (style === "c" && (opener === "//" || opener === "/*")) {
        // Both characters at once, so `/*/` does not close itself.
        state = opener === "//" ? "line" : "block";
        i++;
        emit("  ", "  ");
      } else if (style === "hash" && c === "#") {
        state = "line";
        emit(" ", " ");
      } else if (quote !== null) {
        state = quote;
        i += quote.length - 1;
        emit(quote, quote);
      } else emit(c, c);
    } else if (text.startsWith(state, i)) {
      i += state.length - 1;
      emit(state, state);
      state = "code";
    } else if (c === "\\" && i + 1 < text.length && text.charAt(i + 1) !== "\n") {
      emit(text.slice(i, i + 2), "  ");
      i++;
    } else {
      // A one-character quote other than a backtick ends with its line (an unclosed string must not swallow
      // the rest of the file).
      if (c === "\n" && (state === "'" || state === '"')) state = "code";
      emit(c, blank(c));
    }
  }
  return { code: code.join(""), bare: bare.join("") };
}

/** The code of a text without comments (string literals kept); see {@link scan}. */
const withoutComments = (text: string, style: CommentStyle): string => scan(text, style).code;

/** One match of a marker pattern: the 1-based line, the line's code (whitespace collapsed) and the marker. */
interface Occurrence {
  readonly line: number;
  readonly key: string;
  readonly marker: string;
}

/** Every match of `pattern` in the text's bare code, with its line and that line's code as its identity. */
function occurrences(text: string, style: CommentStyle, pattern: RegExp): Occurrence[] {
  const { code, bare } = scan(text, style);
  const codeLines = code.split("\n");
  const found: Occurrence[] = [];
  bare.split("\n").forEach((line, index) => {
    const key = (codeLines[index] ?? "").trim().replace(/\s+/g, " ");
    for (const match of line.matchAll(pattern)) found.push({ line: index + 1, key, marker: match[0].trim() });
  });
  return found;
}

/**
 * How many assertions a file's text makes, by the heuristic of its language (see {@link judgeTestIntegrity});
 * `null` for a language rungate does not read. Comments and string literals do not count.
 */
export function countAssertions(path: string, text: string): number | null {
  const language = languageOf(path);
  if (language === null) return null;
  return occurrences(text, language.comments, language.assertion).length;
}

/**
 * The marker occurrences of the head that the base does not have. A line counts as the same when its code
 * (whitespace collapsed, strings included) is the same, wherever it moved; so an existing `it.skip(...)` line
 * never blames the change, while one skip removed and another added elsewhere still shows the new one.
 */
function addedOccurrences(before: string | null, after: string, pattern: RegExp, style: CommentStyle) {
  const old = new Map<string, number>();
  for (const o of before === null ? [] : occurrences(before, style, pattern)) {
    old.set(o.key, (old.get(o.key) ?? 0) + 1);
  }
  return occurrences(after, style, pattern).filter((o) => {
    const left = old.get(o.key) ?? 0;
    if (left > 0) old.set(o.key, left - 1);
    return left === 0;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Structured configuration: package.json keys and scripts, TOML / INI sections.
// ---------------------------------------------------------------------------------------------------------

/** JSON with object keys sorted, so reordering keys is not a change. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

function jsonObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const scriptMatches = (name: string, pattern: string): boolean =>
  pattern.endsWith("*") ? name.startsWith(pattern.slice(0, -1)) : name === pattern;

function field(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

const shown = (value: unknown): string => (value === undefined ? "(none)" : JSON.stringify(value));

/**
 * Findings for one `package.json` present at both ends: a changed test script (by name pattern) or test-runner
 * key. Nothing when either end is not a JSON object (the `dependency` check fails an unreadable manifest).
 */
function packageJsonFindings(file: TestIntegrityFile, rules: TestIntegrityRules): TestIntegrityFinding[] {
  const before = jsonObject(file.before);
  const after = jsonObject(file.after);
  if (before === null || after === null) return [];
  const scripts = (o: Record<string, unknown>): Record<string, unknown> => {
    const s = field(o, "scripts");
    return typeof s === "object" && s !== null && !Array.isArray(s) ? (s as Record<string, unknown>) : {};
  };
  const was = scripts(before);
  const now = scripts(after);
  const findings: TestIntegrityFinding[] = [];
  const names = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
  for (const name of names.filter((n) => rules.test_scripts.some((p) => scriptMatches(n, p)))) {
    const from = field(was, name);
    const to = field(now, name);
    if (canonicalJson(from) === canonicalJson(to)) continue;
    findings.push({
      kind: "test_script_changed",
      path: file.path,
      line: null,
      message: `the test script "${name}" changed: ${shown(from)} → ${shown(to)}`,
    });
  }
  for (const key of [...new Set(rules.test_config_keys)]) {
    if (canonicalJson(field(before, key)) === canonicalJson(field(after, key))) continue;
    findings.push({
      kind: "test_config_changed",
      path: file.path,
      line: null,
      message: `the test-runner configuration under "${key}" changed`,
    });
  }
  return findings;
}

/**
 * The sections of TOML or INI files that configure tests, by file name; a section matches its name and every
 * sub-section (`tool.coverage` covers `tool.coverage.run`; `coverage` covers `coverage:run`).
 */
export const TEST_CONFIG_SECTIONS: Readonly<Record<string, readonly string[]>> = {
  "pyproject.toml": ["tool.pytest", "tool.coverage", "tool.tox", "tool.hatch.envs", "tool.nox"],
  "setup.cfg": ["tool:pytest", "coverage"],
  "Cargo.toml": ["test", "profile.test"],
};

// A header's name starts like a bare key, so a line of a multi-line array (`["-ra", "-q"]`) is not a header.
const SECTION_HEADER = /^\s*\[\[?\s*([A-Za-z_][^\]]*?)\s*\]\]?\s*(?:[#;].*)?$/;

/** Each section's settings (comments and blank lines dropped), by section name; `""` holds what precedes any. */
function sectionsOf(text: string | null): Map<string, string> {
  const sections = new Map<string, string[]>();
  let current = "";
  for (const raw of (text ?? "").split("\n")) {
    const header = SECTION_HEADER.exec(raw);
    if (header?.[1] !== undefined) {
      current = header[1];
      if (!sections.has(current)) sections.set(current, []);
      continue;
    }
    const line = raw.replace(/^\s*[#;].*$/, "").trim();
    if (line === "") continue;
    const body = sections.get(current) ?? [];
    body.push(line);
    sections.set(current, body);
  }
  return new Map([...sections].map(([name, lines]) => [name, lines.join("\n")]));
}

const sectionWatched = (name: string, watched: readonly string[]): boolean =>
  watched.some((w) => name === w || name.startsWith(`${w}.`) || name.startsWith(`${w}:`));

/** A finding per watched section of a TOML / INI file that was added, removed or changed. */
function sectionFindings(file: TestIntegrityFile, watched: readonly string[]): TestIntegrityFinding[] {
  const before = sectionsOf(file.before);
  const after = sectionsOf(file.after);
  const names = [...new Set([...before.keys(), ...after.keys()])].filter((n) => sectionWatched(n, watched));
  return names
    .sort()
    .filter((name) => before.get(name) !== after.get(name))
    .map((name) => ({
      kind: "test_config_changed" as const,
      path: file.path,
      line: null,
      message: `the test configuration section [${name}] changed`,
    }));
}

/** A line of code short enough for a one-line finding. */
const clip = (code: string): string => (code.length > 100 ? `${code.slice(0, 99)}…` : code);

const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);

// ---------------------------------------------------------------------------------------------------------
// The judgement.
// ---------------------------------------------------------------------------------------------------------

interface Matchers {
  readonly tests: readonly GlobMatcher[];
  readonly configs: readonly GlobMatcher[];
}

/**
 * Compiles the policy's globs once (case-sensitively, like allowed paths: a test file is named as it is).
 * Fails with a `validation` error, code `invalid_glob`, listing every unusable glob at its place in the policy
 * (`["test_integrity", "test_globs", 2]`).
 */
function compileMatchers(rules: TestIntegrityRules): Result<Matchers, ValidationError> {
  const issues: FieldIssue[] = [];
  const compile = (globs: readonly string[], list: string): GlobMatcher[] =>
    globs.flatMap((glob, i) => {
      const compiled = compileGlobMatcher(glob, { nocase: false });
      if (compiled.isOk()) return [compiled.value];
      issues.push({ path: ["test_integrity", list, i], ...compiled.error });
      return [];
    });
  const tests = compile(rules.test_globs, "test_globs");
  const configs = compile(rules.config_globs, "config_globs");
  if (issues.length > 0) return err(rungateError("validation", "invalid_glob", { issues }));
  return ok({ tests, configs });
}

/** How many distinct glob sets stay compiled; the oldest is dropped first. */
const CACHE_LIMIT = 64;
const compiledCache = new Map<string, Result<Matchers, ValidationError>>();

/** {@link compileMatchers}, once per distinct pair of glob lists (a policy is judged for every card). */
function matchersFor(rules: TestIntegrityRules): Result<Matchers, ValidationError> {
  const key = JSON.stringify([rules.test_globs, rules.config_globs]);
  const cached = compiledCache.get(key);
  if (cached !== undefined) return cached;
  const compiled = compileMatchers(rules);
  if (compiledCache.size >= CACHE_LIMIT) {
    const oldest = compiledCache.keys().next();
    if (oldest.done !== true) compiledCache.delete(oldest.value);
  }
  compiledCache.set(key, compiled);
  return compiled;
}

const matches = (matchers: readonly GlobMatcher[], path: string | null): boolean =>
  path !== null && matchers.some((m) => m.test(path));

/** `test_deleted` / `test_renamed_away`: the test file is gone from where the runner looks. */
function removalFindings(file: TestIntegrityFile, m: Matchers): TestIntegrityFinding[] {
  if (file.status === "deleted" && matches(m.tests, file.path)) {
    return [{ kind: "test_deleted", path: file.path, line: null, message: "the test file was deleted" }];
  }
  if (file.status === "renamed" && matches(m.tests, file.previous_path) && !matches(m.tests, file.path)) {
    return [
      {
        kind: "test_renamed_away",
        path: file.path,
        line: null,
        message: `the test file ${file.previous_path} was moved to a path that is not a test file`,
      },
    ];
  }
  return [];
}

/**
 * `assertions_reduced`: a test file present at both ends (modified, renamed to a test path, or its type changed)
 * makes fewer assertions, or has no readable text any more. Copies are not judged: the original stays.
 */
function assertionFindings(file: TestIntegrityFile): TestIntegrityFinding[] {
  if (!["modified", "renamed", "type_changed"].includes(file.status) || file.before === null) return [];
  const was = countAssertions(file.previous_path ?? file.path, file.before);
  if (was === null || was === 0) return [];
  const now = file.after === null ? null : countAssertions(file.path, file.after);
  if (now !== null && now >= was) return [];
  const message =
    now === null
      ? `the test file made ${was} assertion${was === 1 ? "" : "s"} and has no readable test code at the head`
      : `assertions went from ${was} to ${now}`;
  return [{ kind: "assertions_reduced", path: file.path, line: null, message }];
}

/** `skip_marker_added` / `only_marker_added`: one finding per new marker line at the head. */
function markerFindings(file: TestIntegrityFile): TestIntegrityFinding[] {
  const language = languageOf(file.path);
  if (language === null || file.after === null || file.status === "deleted") return [];
  const kinds = [
    ["skip_marker_added", language.skip, "skip marker", "the test no longer runs, or is expected to fail"],
    ["only_marker_added", language.focus, "focus marker", "every other test stops running"],
  ] as const;
  return kinds.flatMap(([kind, pattern, what, why]) =>
    pattern === null
      ? []
      : addedOccurrences(file.before, file.after ?? "", pattern, language.comments).map((o) => ({
          kind,
          path: file.path,
          line: o.line,
          message: `new ${what} "${o.marker.replace(/\s*[(]$/, "")}" (${why}): ${clip(o.key)}`,
        })),
  );
}

/** `test_config_changed` / `test_script_changed`: whole config files by glob, then the partly watched ones. */
function configFindings(
  file: TestIntegrityFile,
  m: Matchers,
  rules: TestIntegrityRules,
): TestIntegrityFinding[] {
  const moved = file.previous_path !== null && file.previous_path !== file.path;
  const unchanged = !moved && file.before !== null && file.before === file.after;
  if (unchanged) return [];
  if (matches(m.configs, file.path) || matches(m.configs, file.previous_path)) {
    const how = file.status === "renamed" ? `moved from ${file.previous_path}` : file.status;
    return [
      {
        kind: "test_config_changed",
        path: file.path,
        line: null,
        message: `test or CI configuration ${how}`,
      },
    ];
  }
  const name = baseName(file.path);
  if (name === "package.json") return packageJsonFindings(file, rules);
  const watched = Object.hasOwn(TEST_CONFIG_SECTIONS, name) ? TEST_CONFIG_SECTIONS[name] : undefined;
  return watched === undefined ? [] : sectionFindings(file, watched);
}

/** Whether a text carries in-source tests, judged on its code (a comment that mentions them does not count). */
function hasInSourceTests(path: string, text: string | null): boolean {
  const language = languageOf(path);
  return language !== null && text !== null && IN_SOURCE_TESTS.test(withoutComments(text, language.comments));
}

/** Every finding about one file, in the order of {@link TEST_INTEGRITY_FINDING_KINDS}. */
function judgeFile(file: TestIntegrityFile, m: Matchers, rules: TestIntegrityRules): TestIntegrityFinding[] {
  const basePath = file.previous_path ?? file.path;
  const removed = removalFindings(file, m);
  const testAtBase = matches(m.tests, basePath) || hasInSourceTests(basePath, file.before);
  const testAtHead = matches(m.tests, file.path) || hasInSourceTests(file.path, file.after);
  return [
    ...removed,
    // A test file that is gone is reported once, as gone; otherwise a base test must keep its assertions even
    // when the head no longer looks like one (a Rust file that lost its `#[cfg(test)]` module).
    ...(testAtBase && removed.length === 0 ? assertionFindings(file) : []),
    ...(testAtHead ? markerFindings(file) : []),
    ...configFindings(file, m, rules),
  ];
}

/**
 * Judges whether a change weakened the tests (the `test_integrity` part of the policy), from each changed
 * file's text at the base and at the head. Pure: no I/O. A file is a test when a `test_globs` glob matches it
 * (or, for a rename, its old path), or when it carries in-source tests (Rust `#[cfg(test)]` / `#[test]`,
 * vitest `import.meta.vitest`).
 *
 * Heuristics, per language (by extension; data files such as fixtures and snapshots are never read):
 *
 * - Comments and the insides of string literals are blanked first (`//` and `/* *\/`, or `#` for Python and
 *   Ruby; test titles and docstrings), so commented-out code and prose about markers neither count nor blame.
 * - Assertions: JS/TS `expect(`, `expect.soft(`, `expect.poll(`, `expectTypeOf(`, `assert(` and `assert.*(`,
 *   `assertType(`, chai `.should` / `should(`, ava and tap `t.is(`, `t.deepEqual(`, …; Python `assert`
 *   statements, `self.assert*(`, `*.assert_*(`, `pytest.raises(` / `warns(`; Go `t.Error*(`, `t.Fatal*(`,
 *   `t.Fail*(`, testify `assert.*(` / `require.*(`, gomega `Expect(`; Rust `assert*!` macros and
 *   `#[should_panic]`; Ruby `expect`, `assert*`, `.should`, `must_*`. Matchers (`.toBe`) are never counted, so
 *   `expect(x).toBe(y)` is one assertion. Fewer at the head than at the base is a finding; the same or more is
 *   not, wherever they moved (a renamed test keeps its count).
 * - Skip markers: `.skip`, `.skipIf`, `.runIf`, `.fails`, `.failing` on a call, `xit` / `xtest` / `xdescribe`;
 *   `pytest.mark.skip` / `skipif` / `xfail`, `pytest.skip(` / `xfail(` / `importorskip(`, `@unittest.skip*`,
 *   `@expectedFailure`, `SkipTest`, `self.skipTest(`; Go `t.Skip*(`; Rust `#[ignore]`; Ruby `xit`, `skip`,
 *   `pending`; JVM / .NET `@Disabled`, `@Ignore`, `[Ignore]`, `Skip = "…"`. Focus markers: `.only`, `fit`,
 *   `fdescribe`, `ftest`, `fcontext` (and Ruby `focus: true`). Only marker lines the head adds count: a line
 *   whose code (whitespace collapsed) the base already had, anywhere in the file, is not blamed.
 * - Configuration: any change (added, deleted, moved or edited) to a file a `config_globs` glob matches; in a
 *   `package.json` present at both ends, a change to a script `test_scripts` names or a key `test_config_keys`
 *   names (key order ignored; dependencies are the `dependency` check's business); in `pyproject.toml`,
 *   `setup.cfg` and `Cargo.toml`, a change to a section {@link TEST_CONFIG_SECTIONS} names.
 * - Knowingly missed: assertions hidden in helpers (`checkAll(rows)`), loops that assert fewer times, weaker
 *   matchers (`toEqual` → `toBeDefined`), changed expected values, edited snapshots, conditions inside a test
 *   (`if (false) return`), `.skip(` on a non-test object is a false positive in a test file, and a skip line
 *   whose text changed (a retitled `it.skip`) is reported again.
 *
 * Fails with a `validation` error (code `invalid_glob`) when a policy glob cannot be compiled. With
 * `enabled: false` nothing is judged. What a finding does (`on_finding`) is {@link testIntegrityOutcome}'s
 * business.
 */
export function judgeTestIntegrity(
  files: readonly TestIntegrityFile[],
  rules: TestIntegrityRules,
): Result<TestIntegrityFinding[], ValidationError> {
  if (!rules.enabled) return ok([]);
  return matchersFor(rules).map((m) => files.flatMap((file) => judgeFile(file, m, rules)));
}

/**
 * What the findings mean for the card: `pass` when there are none, otherwise the policy's `on_finding`
 * (`fail` the `policy` check, or `require_approval` of type `test_change`).
 */
export function testIntegrityOutcome(
  findings: readonly TestIntegrityFinding[],
  policy: { readonly on_finding: TestIntegrityAction },
): "pass" | TestIntegrityAction {
  return findings.length === 0 ? "pass" : policy.on_finding;
}

/** One line per finding for a check's output (`path:line: message [kind]`); `""` when there are none. */
export function describeTestIntegrityFindings(findings: readonly TestIntegrityFinding[]): string {
  return findings
    .map((f) => `${f.path}${f.line === null ? "" : `:${f.line}`}: ${f.message} [${f.kind}]`)
    .join("\n");
}
