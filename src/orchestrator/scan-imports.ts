import { type Import, init, parse } from "es-module-lexer";
import { err, errAsync, ok, okAsync, type Result, ResultAsync } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import {
  compileImportRules,
  type ImportFinding,
  type ImportRules,
  type ImportStatement,
  isScriptPath,
  judgeImports,
  unparsableFinding,
} from "../core/policy/import-rules.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { ChangedFile } from "../core/schemas/changed-file.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";

/** What the import rules found in a card's diff. */
export interface ImportScan {
  /** The changed files whose imports were read (some rule's `from` covers them), in the diff's order. */
  readonly files: string[];
  /** Every broken rule, and every file or import that could not be checked; any finding fails the check. */
  readonly findings: ImportFinding[];
}

/** Why a file's imports could not be read: the lexer's message (never source text) and where, when known. */
interface Unlexable {
  readonly reason: string;
  readonly line: number | null;
}

/** Git modes whose content is not source text: a symlink's content is its target, a gitlink has none. */
const NOT_SOURCE_MODES = new Set(["120000", "160000"]);

/** The longest lexer message kept; its messages are short, this only guards against surprises. */
const MAX_REASON = 200;

/** A function from a character offset to its 1-based line, computed once per source. */
function lineIndex(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = source.indexOf("\n"); i >= 0; i = source.indexOf("\n", i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** One lexer record as an {@link ImportStatement}; `import.meta` is not an import and gives `null`. */
function statementOf(record: Import, lineAt: (offset: number) => number): ImportStatement | null {
  if (record.type === "import-meta") return null;
  const line = lineAt(record.start);
  if (record.type === "dynamic") {
    // A template with a substitution comes back as a glob (`./${x}.js` → `./*.js`), but the substitution may
    // hold anything, `../` included: where it leads is as unknown as for `import(name)`.
    const specifier = record.glob ? null : (record.specifier ?? null);
    return { specifier, line, type_only: record.probablyTypeOnly };
  }
  return { specifier: record.specifier, line, type_only: record.typeOnly };
}

/**
 * The source as es-module-lexer can read it. Its 3.0.5 build silently drops an `import` or `export … from`
 * that directly follows a Unicode space other than NBSP (U+1680, U+2000–U+200A, U+202F, U+205F, U+3000), a
 * line or paragraph separator (U+2028/9) or a byte-order mark (U+FEFF, so also a BOM at the start of a file):
 * no error, the import is just not listed. JavaScript treats them all as whitespace, so an agent could hide an
 * import behind one. Each becomes an ASCII space (the separators a newline), one UTF-16 unit for one, so every
 * offset still points into the original text. (Inside a string literal this changes the text; a specifier
 * holding such a character is judged with a space there.)
 */
function lexable(source: string): string {
  return source
    .replace(/[\u1680\u2000-\u200a\u202f\u205f\u3000\ufeff]/g, " ")
    .replace(/[\u2028\u2029]/g, "\n");
}

/** The imports of one source (static, re-exports, dynamic), or why es-module-lexer could not lex it. */
function lexImports(original: string): Result<ImportStatement[], Unlexable> {
  const source = lexable(original);
  const lineAt = lineIndex(source);
  let records: readonly Import[];
  try {
    records = parse(source)[0];
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).slice(0, MAX_REASON);
    const idx = typeof e === "object" && e !== null && "idx" in e ? e.idx : undefined;
    return err({ reason, line: typeof idx === "number" && idx >= 0 ? lineAt(idx) : null });
  }
  return ok(records.flatMap((r) => statementOf(r, lineAt) ?? []));
}

/** The changed files whose imports the rules need: present at head, source text, a script, under a `from`. */
function filesToRead(files: readonly ChangedFile[], rules: ImportRules): ChangedFile[] {
  return files.filter(
    (f) =>
      f.status !== "deleted" &&
      !NOT_SOURCE_MODES.has(f.mode ?? "") &&
      isScriptPath(f.path) &&
      rules.appliesTo(f.path),
  );
}

/** The findings of one file's text at head (`null`: it has none there, which is a finding too). */
function judgeFile(rules: ImportRules, path: string, source: string | null): ImportFinding[] {
  const lexed = source === null ? err({ reason: "no content at head", line: null }) : lexImports(source);
  if (lexed.isOk()) return judgeImports(rules, [{ path, imports: lexed.value }]);
  const finding = unparsableFinding(rules, path, lexed.error.reason, lexed.error.line);
  return finding === null ? [] : [finding];
}

/** es-module-lexer's WebAssembly, compiled once per process (its `init` is idempotent). */
function lexerReady(): ResultAsync<void, RungateError> {
  return ResultAsync.fromPromise(init(), (e) =>
    rungateError("port_failure", "lexer_unavailable", {
      port: "import lexer",
      adapter: "es-module-lexer",
      operation: "init",
      retryable: false,
      cause: e instanceof Error ? e.message : String(e),
    }),
  );
}

/**
 * The built-in half of the architecture rules (`architecture_policy.forbidden_imports`), run by the `policy`
 * check: every file the card's diff adds or changes (not deletes) that is a JS/TS script
 * ({@link isScriptPath}) under some rule's `from` glob is read at `head` from the clone (never from the agent's
 * worktree), lexed with es-module-lexer (static imports, `export … from`, `import x = require()`, dynamic
 * `import()`), and judged by {@link judgeImports}. A file the lexer cannot read, or that has no content at
 * head, becomes an `unparsable` finding rather than passing unread.
 *
 * Not seen: CommonJS `require()` calls, `/// <reference path>` directives, `import()` hidden in `eval` or
 * `new Function`, and imports in files the card did not change (a rule added later judges only new work).
 * Symlinks and submodules are not read (the path rules judge where a symlink leads).
 *
 * With no rules, nothing is read. Fails with a `validation` error (`invalid_glob`) when a rule's glob is
 * unusable, and with the git port's error when reading fails.
 */
export function scanImports(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: Pick<CardAssignment, "base_sha">,
  policy: Pick<SystemPolicyProfile, "architecture_policy">,
  head: string,
  signal: AbortSignal | undefined,
): ResultAsync<ImportScan, RungateError> {
  const compiled = compileImportRules(policy.architecture_policy.forbidden_imports);
  if (compiled.isErr()) return errAsync(compiled.error);
  const rules = compiled.value;
  if (rules.compiled.length === 0) return okAsync({ files: [], findings: [] });
  return cardDiff(deps, run, assignment, head, signal).andThen(({ clone_path, files, opts }) => {
    const wanted = filesToRead(files, rules);
    if (wanted.length === 0) return okAsync({ files: [], findings: [] });
    return lexerReady()
      .andThen(() =>
        wanted.reduce<ResultAsync<ImportFinding[], RungateError>>(
          (sofar, file) =>
            sofar.andThen((found) =>
              deps.git
                .fileContent({ clone_path, ref: head, path: file.path }, opts)
                .map((source) => [...found, ...judgeFile(rules, file.path, source)]),
            ),
          okAsync([]),
        ),
      )
      .map((findings) => ({ files: wanted.map((f) => f.path), findings }));
  });
}
