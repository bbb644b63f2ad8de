import { err, ok, type Result } from "neverthrow";
import { type FieldIssue, rungateError, type ValidationError } from "../errors.js";
import { compileGlobMatcher, type GlobMatcher } from "./path-rules.js";

/**
 * Import rules (`architecture_policy.forbidden_imports`): "code under `from` must not import code under `to`",
 * judged on the imports of the files a card changed. This module is the pure half: it compiles the rules,
 * resolves specifiers to repository paths and judges; reading and lexing the files is the orchestrator's.
 *
 * How a specifier is judged, decided once:
 *
 * - **Relative** (`./x`, `../x`, `.`, `..`): joined to the importing file's directory by hand, POSIX style.
 *   A `?query` or `#fragment` is dropped and percent-escapes are decoded as well as kept, because Node's ESM
 *   loader reads a relative specifier as a URL (`../%61dapters/x.js` loads `../adapters/x.js`). The `to` glob
 *   is tried on the resolved path and on what it plausibly names ({@link importCandidates}): TypeScript's
 *   `.js` → `.ts`/`.tsx`/`.d.ts` convention, and for a specifier without a JS/TS extension the files with
 *   each extension and the folder's `index.*`. Over-approximating is deliberate: the tree at head is not
 *   listed, and a false "may import" costs a look while a false "fine" lets a layer break.
 * - **Climbing out of the repository** (`../../../x` from `src/a.ts`) or **absolute** (`/x`, `file:…`): a
 *   finding of its own (`outside_repository`): no `to` glob can say where it leads, and a repository whose
 *   code imports from outside itself is not reproducible anyway.
 * - **Bare** (`zod`, `node:fs`, `#internal/x`, `@/core/x`): matched as written against the `to` glob, so
 *   `{ from: "src/core/**", to: "node:*" }` forbids Node built-ins (write `fs` and the other unprefixed names
 *   too, e.g. `{node:*,fs,fs/**,path}`), and a literal `to` such as `zod` covers `zod/v4` as a folder covers
 *   its files. Package `imports` maps and `tsconfig` path aliases are NOT resolved: a rule must name the alias
 *   as written (`@/adapters/**`). A bare specifier that happens to be a repository path (`src/adapters/x.js`,
 *   with `baseUrl`) is therefore caught by a path glob too.
 * - **Computed** (`import(name)`, or a template literal with a substitution, whose text may even contain
 *   `../`): a finding of its own (`computed_specifier`), since where it leads cannot be known.
 * - **Type-only imports count** (`import type`, `export type … from`, `typeof import("…")`): a type import is
 *   still a dependency between layers (its declarations change with the other layer), so a rule applies to it.
 *   The finding says "type-only" so a reviewer can weigh it; a per-rule switch can come later.
 * - Globs match case-INSENSITIVELY, like forbidden path globs: on macOS and Windows `../Adapters/x.js` loads
 *   `../adapters/x.js`, so when in doubt the rule applies. Otherwise globs match as path rules do (`dot`,
 *   anchored at the root, a literal glob covers what is under it; see `path-rules.ts`).
 */

/** One rule of `architecture_policy.forbidden_imports`, as the policy states it. */
export interface ImportRule {
  /** Files this rule applies to (a glob). */
  readonly from: string;
  /** What those files must not import (a glob, matched against repository paths and bare specifiers). */
  readonly to: string;
}

/** One rule compiled: the rule as the policy states it and a matcher for each glob. */
export interface CompiledImportRule {
  readonly rule: ImportRule;
  readonly from: GlobMatcher;
  readonly to: GlobMatcher;
}

/** Import rules compiled once by {@link compileImportRules}. */
export interface ImportRules {
  /** The rules, in the policy's order. */
  readonly compiled: readonly CompiledImportRule[];
  /** Whether any rule's `from` glob matches `path`, i.e. whether the file's imports need reading at all. */
  appliesTo(path: string): boolean;
}

/** The file extensions whose imports are read: JavaScript and TypeScript, ESM and CommonJS flavours. */
export const SCRIPT_EXTENSIONS = [".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"] as const;

/** Whether `path` ends with one of {@link SCRIPT_EXTENSIONS} (case-sensitively, as Node and TypeScript do). */
export function isScriptPath(path: string): boolean {
  return SCRIPT_EXTENSIONS.some((ext) => path.endsWith(ext));
}

/** One import of a file, as a lexer found it. */
export interface ImportStatement {
  /** The specifier as written; `null` when computed (not a string literal, or a template with a substitution). */
  readonly specifier: string | null;
  /** 1-based line of the specifier. */
  readonly line: number;
  /** `import type`, `export type … from`, or an `import("…")` in a type position. */
  readonly type_only: boolean;
}

/** The imports of one file, under its repository path. */
export interface FileImports {
  readonly path: string;
  readonly imports: readonly ImportStatement[];
}

/** The kinds of {@link ImportFinding}; every one fails the check. */
export const IMPORT_FINDING_KINDS = [
  "forbidden_import",
  "outside_repository",
  "computed_specifier",
  "unparsable",
] as const;
/** One of {@link IMPORT_FINDING_KINDS}. */
export type ImportFindingKind = (typeof IMPORT_FINDING_KINDS)[number];

/** Why one import (or one file) breaks the import rules, with the sentence people read. */
export interface ImportFinding {
  readonly kind: ImportFindingKind;
  /** The importing file. */
  readonly path: string;
  /** 1-based line of the import (`null` when an unparsable file's position is unknown). */
  readonly line: number | null;
  /** The specifier as written (`null` when computed, or for an unparsable file). */
  readonly specifier: string | null;
  /** The repository path (or bare specifier) the `to` glob matched; `null` when nothing was resolved. */
  readonly resolved: string | null;
  /** The rule that decided (for the other kinds: the first rule whose `from` covers the file). */
  readonly rule: ImportRule;
  readonly type_only: boolean;
  readonly message: string;
}

/** Where a specifier leads: a bare name, repository paths it may name, or out of the repository. */
export type ResolvedSpecifier =
  | { readonly kind: "bare"; readonly specifier: string }
  | { readonly kind: "relative"; readonly paths: readonly string[] }
  | { readonly kind: "outside_repository" };

type At = readonly (string | number)[];

/** Compiles one glob of one rule, or the issue saying why it cannot be used. */
function compileAt(glob: unknown, at: At): Result<GlobMatcher, FieldIssue> {
  if (typeof glob !== "string") return err({ path: at, code: "invalid_type", message: "must be a glob" });
  return compileGlobMatcher(glob, { nocase: true }).mapErr((issue) => ({ path: at, ...issue }));
}

/**
 * Compiles `architecture_policy.forbidden_imports` once (see the matching decisions at the top of this file).
 *
 * Fails with a `validation` error, code `invalid_glob`, listing EVERY unusable glob with its place, e.g.
 * `["architecture_policy", "forbidden_imports", 2, "from"]` (issue code: the path-normalising code such as
 * `traversal` or `absolute`, `invalid_glob` when picomatch cannot compile it, `invalid_type` when not a
 * string). An empty list compiles to rules that apply to nothing. Never throws.
 */
export function compileImportRules(rules: readonly ImportRule[]): Result<ImportRules, ValidationError> {
  const at = ["architecture_policy", "forbidden_imports"] as const;
  if (!Array.isArray(rules)) {
    const issues = [{ path: at, code: "invalid_type", message: "must be a list of {from, to} rules" }];
    return err(rungateError("validation", "invalid_glob", { issues }));
  }
  const issues: FieldIssue[] = [];
  const compiled: CompiledImportRule[] = [];
  rules.forEach((rule, i) => {
    const given: Partial<Record<"from" | "to", unknown>> =
      typeof rule === "object" && rule !== null ? rule : {};
    const from = compileAt(given.from, [...at, i, "from"]);
    const to = compileAt(given.to, [...at, i, "to"]);
    if (from.isErr()) issues.push(from.error);
    if (to.isErr()) issues.push(to.error);
    // Both compiled, so both are strings.
    const stated = { from: given.from as string, to: given.to as string };
    if (from.isOk() && to.isOk()) compiled.push({ rule: stated, from: from.value, to: to.value });
  });
  if (issues.length > 0) return err(rungateError("validation", "invalid_glob", { issues }));
  return ok(
    Object.freeze({ compiled, appliesTo: (path: string) => compiled.some((c) => c.from.test(path)) }),
  );
}

/** TypeScript's reading of a JS extension in a specifier: the sources it may stand for. */
const TS_FOR_JS: Readonly<Record<string, readonly string[]>> = {
  ".js": [".ts", ".tsx", ".d.ts"],
  ".jsx": [".tsx"],
  ".mjs": [".mts", ".d.mts"],
  ".cjs": [".cts", ".d.cts"],
};

/** The extensions tried after a specifier that has none of its own, in TypeScript's order then JavaScript's. */
const TRIED_EXTENSIONS = [".ts", ".tsx", ".d.ts", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"] as const;

/**
 * The repository paths a resolved relative specifier may name, the path itself first: for `a/x.js` also
 * `a/x.ts`, `a/x.tsx`, `a/x.d.ts` (likewise `.jsx` → `.tsx`, `.mjs` → `.mts`, `.cjs` → `.cts`); for a path
 * without a JS/TS extension (`a/x`, `a/x.service`, a folder) also each of `a/x.ts` … `a/x.cjs` and
 * `a/x/index.ts` … `a/x/index.cjs`. `""` (the repository root) yields only the root's `index.*` files.
 */
export function importCandidates(resolved: string): string[] {
  const ext = SCRIPT_EXTENSIONS.find((e) => resolved.endsWith(e));
  if (ext !== undefined) {
    const stem = resolved.slice(0, -ext.length);
    return [resolved, ...(TS_FOR_JS[ext] ?? []).map((other) => stem + other)];
  }
  const index = resolved === "" ? "index" : `${resolved}/index`;
  return [
    ...(resolved === "" ? [] : [resolved, ...TRIED_EXTENSIONS.map((e) => resolved + e)]),
    ...TRIED_EXTENSIONS.map((e) => index + e),
  ];
}

/** Whether a specifier is relative (`./`, `../`, `.`, `..`), as Node's resolver decides it. */
function isRelative(specifier: string): boolean {
  return specifier === "." || specifier === ".." || specifier.startsWith("./") || specifier.startsWith("../");
}

/** The repository path `relative` leads to from the folder of `importer`; `null` when it climbs out. */
function joinFrom(importer: string, relative: string): string | null {
  const out = importer.split("/").slice(0, -1);
  for (const segment of relative.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") out.push(segment);
    else if (out.pop() === undefined) return null;
  }
  return out.join("/");
}

/** The specifier as Node reads a relative URL: no query or fragment; raw and percent-decoded spellings. */
function spellings(specifier: string): string[] {
  const bare = specifier.replace(/[?#].*$/s, "");
  let decoded = bare;
  try {
    decoded = decodeURIComponent(bare);
  } catch {
    // A malformed escape: Node refuses to load it, so the raw spelling is all there is to judge.
  }
  return decoded === bare ? [bare] : [bare, decoded];
}

/**
 * Where `specifier`, written in the file at repository path `importer`, leads (see the decisions at the top
 * of this file): `bare` for a package name, `node:` URL, subpath import or alias; `relative` with every
 * {@link importCandidates} path (of both the raw and the percent-decoded spelling, without duplicates);
 * `outside_repository` when it climbs above the root or is absolute (`/x`, `file:…`). Never throws.
 */
export function resolveSpecifier(importer: string, specifier: string): ResolvedSpecifier {
  if (specifier.startsWith("/") || specifier.toLowerCase().startsWith("file:")) {
    return { kind: "outside_repository" };
  }
  if (!isRelative(specifier)) return { kind: "bare", specifier };
  const paths: string[] = [];
  for (const spelling of spellings(specifier)) {
    const joined = joinFrom(importer, spelling);
    if (joined === null) return { kind: "outside_repository" };
    for (const candidate of importCandidates(joined)) if (!paths.includes(candidate)) paths.push(candidate);
  }
  return { kind: "relative", paths };
}

const quote = (s: string): string => JSON.stringify(s);

/** The sentence of a finding; the single place where import-rule wording lives. */
function sentence(
  kind: ImportFindingKind,
  f: Pick<ImportFinding, "path" | "line" | "specifier" | "resolved" | "rule" | "type_only"> & {
    readonly reason?: string;
  },
): string {
  const where = f.line === null ? f.path : `${f.path}:${f.line}`;
  const imports = f.type_only ? "imports type" : "imports";
  const spec = f.specifier === null ? "" : quote(f.specifier);
  switch (kind) {
    case "forbidden_import":
      return `${where}: ${imports} ${spec} (${f.resolved}), which ${f.rule.from} may not import (${f.rule.to})`;
    case "outside_repository":
      return `${where}: ${imports} ${spec}, which leads outside the repository, so the import rules for ${f.rule.from} cannot be checked`;
    case "computed_specifier":
      return `${where}: ${imports} a computed specifier, so the import rules for ${f.rule.from} cannot be checked (import a string literal)`;
    case "unparsable":
      return `${where}: cannot be lexed as JavaScript or TypeScript (${f.reason ?? "unknown reason"}), so the import rules for ${f.rule.from} cannot be checked`;
  }
}

/** Builds a finding with its sentence. */
function finding(
  kind: ImportFindingKind,
  fields: Omit<ImportFinding, "kind" | "message">,
  reason?: string,
): ImportFinding {
  return {
    kind,
    ...fields,
    message: sentence(kind, { ...fields, ...(reason === undefined ? {} : { reason }) }),
  };
}

/** The findings of one import under the rules whose `from` covers its file (`applicable`, never empty). */
function judgeImport(
  path: string,
  statement: ImportStatement,
  applicable: readonly CompiledImportRule[],
): ImportFinding[] {
  const first = (applicable[0] as CompiledImportRule).rule;
  const base = { path, line: statement.line, specifier: statement.specifier, type_only: statement.type_only };
  if (statement.specifier === null) {
    return [finding("computed_specifier", { ...base, resolved: null, rule: first })];
  }
  const target = resolveSpecifier(path, statement.specifier);
  if (target.kind === "outside_repository") {
    return [finding("outside_repository", { ...base, resolved: null, rule: first })];
  }
  const names = target.kind === "bare" ? [target.specifier] : target.paths;
  return applicable.flatMap((c) => {
    const resolved = names.find((name) => c.to.test(name));
    return resolved === undefined ? [] : [finding("forbidden_import", { ...base, resolved, rule: c.rule })];
  });
}

/**
 * Judges the imports of changed files against the rules: for every file some rule's `from` covers, every
 * import that a `to` glob matches (one finding per import and rule), every import leaving the repository and
 * every computed specifier (one finding per import). Files no rule covers are ignored. Findings come in the
 * order of files, imports and rules. Pure, never throws.
 */
export function judgeImports(rules: ImportRules, files: readonly FileImports[]): ImportFinding[] {
  return files.flatMap((file) => {
    const applicable = rules.compiled.filter((c) => c.from.test(file.path));
    if (applicable.length === 0) return [];
    return file.imports.flatMap((statement) => judgeImport(file.path, statement, applicable));
  });
}

/**
 * The finding for a file whose imports could not be read (a lexer error, or no content at head), so that it
 * fails the check instead of passing unread. `reason` is the lexer's message, never source text; `line` its
 * position when known. `null` when no rule covers `path`.
 */
export function unparsableFinding(
  rules: ImportRules,
  path: string,
  reason: string,
  line: number | null = null,
): ImportFinding | null {
  const first = rules.compiled.find((c) => c.from.test(path));
  if (first === undefined) return null;
  const fields = { path, line, specifier: null, resolved: null, rule: first.rule, type_only: false };
  return finding("unparsable", fields, reason);
}

/**
 * The findings as text, one line each (their `message`), e.g.
 * `src/core/a.ts:3: imports "../adapters/x.js" (src/adapters/x.js), which src/core/** may not import (src/adapters/**)`.
 * Empty for no findings.
 */
export function describeImportFindings(findings: readonly ImportFinding[]): string {
  return findings.map((f) => f.message).join("\n");
}
