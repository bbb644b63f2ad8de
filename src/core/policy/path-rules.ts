import { err, ok, type Result } from "neverthrow";
import picomatch from "picomatch";
import { z } from "zod";
import { type FieldIssue, rungateError, type ValidationError } from "../errors.js";
import { firstMatchIndex, firstMatchPosition } from "./glob-index.js";
import { normaliseGlob, normaliseRepoPath } from "./path-normalise.js";

/**
 * How path rules match, decided once for every glob rungate compiles (picomatch 4):
 *
 * - `dot: true` everywhere: a dotfile under an allowed directory is allowed (`src/**` matches `src/.eslintrc`),
 *   and a deny rule reaches hidden places too (`**\/secrets` also catches `.config/secrets`).
 * - Forbidden and protected globs match case-INSENSITIVELY (`nocase: true`); allowed globs case-sensitively.
 *   On case-insensitive filesystems (macOS, Windows) `.ENV` is `.env`, so when in doubt, deny wins: `.ENV` is
 *   forbidden by `.env`, while `SRC/a.ts` is outside `src/**`.
 * - `**` crosses directories (and matches the directory itself: `src/**` matches `src`); `*` and `?` never
 *   cross `/`.
 * - A glob whose last segment has no glob characters (`src/components`, `.env`, `**\/secrets`) covers that path
 *   and everything under it, as a `.gitignore` line does: `src/components` also matches
 *   `src/components/Button.tsx`. Unlike `.gitignore`, every glob is anchored at the root. A glob without `/` matches at the root only (`*.pem` does not match `keys/a.pem`; write
 *   `**\/*.pem`).
 * - `windows: false`: matching is POSIX on every platform; paths and globs with `\` are refused earlier.
 * - `nonegate: true` and a leading `!` refused by {@link normaliseGlob}: deny rules live in `forbidden_paths`.
 * - `debug: true`: a glob picomatch cannot turn into a regular expression is reported as `invalid_glob`
 *   instead of silently matching nothing (which would turn a deny rule into no rule).
 */
const MATCH_OPTIONS = { dot: true, windows: false, nonegate: true, debug: true } as const;

/** The verdicts of {@link PathRules.judge}, from most to least severe. */
export const PATH_VERDICTS = [
  "invalid_path",
  "forbidden",
  "outside_allowed",
  "protected",
  "allowed",
] as const;
/** One of {@link PATH_VERDICTS}. */
export const PathVerdictKind = z.enum(PATH_VERDICTS);
/** One of {@link PATH_VERDICTS}. */
export type PathVerdictKind = z.infer<typeof PathVerdictKind>;

/** The `rule` of an `outside_allowed` verdict: no allowed glob matched, so there is no glob to name. */
export const NO_ALLOWED_MATCH = "(no allowed glob matched)";

/**
 * What the path rules say about one path: the path (normalised, or as given when it is invalid), the verdict,
 * the rule that decided (a glob, a {@link PathIssue} code for `invalid_path`, or {@link NO_ALLOWED_MATCH}) and a
 * sentence for people.
 */
export const PathVerdict = z.object({
  path: z.string(),
  verdict: PathVerdictKind,
  rule: z.string(),
  message: z.string(),
});
/** Parsed {@link PathVerdict}. */
export type PathVerdict = z.infer<typeof PathVerdict>;

/**
 * Compiled path rules: the normalised globs and a {@link PathRules.judge} that uses matchers compiled once.
 */
export interface PathRules {
  /** Normalised allowed globs, without duplicates, in the order given. */
  readonly allowed: readonly string[];
  /** Normalised forbidden globs, without duplicates, in the order given. */
  readonly forbidden: readonly string[];
  /** Normalised protected globs, without duplicates, in the order given. */
  readonly protected: readonly string[];
  /**
   * Judges one path, in this order: `invalid_path` when {@link normaliseRepoPath} refuses it; `forbidden` when
   * any forbidden glob matches (deny wins; the first matching glob is named); `outside_allowed` when no allowed
   * glob matches; `protected` when a protected glob matches (allowed, but the change needs the policy's
   * protected-path approval); otherwise `allowed`, naming the allowed glob that matched. Never throws.
   */
  judge(path: string): PathVerdict;
}

type Field = "allowed" | "forbidden" | "protected";
type At = readonly (string | number)[];

/** One glob to compile, with where it came from (for error reporting). */
interface GlobSource {
  readonly glob: unknown;
  readonly at: At;
}

/** A compiled glob with its picomatch patterns and their regular expression sources (for the index). */
interface Compiled extends GlobMatcher {
  readonly sources: readonly string[];
  readonly patterns: readonly string[];
}

const NOCASE: { readonly [F in Field]: boolean } = { allowed: false, forbidden: true, protected: true };

/** How many compiled globs stay cached (validation and judging compile the same globs again and again). */
const GLOB_CACHE_LIMIT = 8_192;
const globCache = new Map<string, Result<Compiled, Omit<FieldIssue, "path">>>();

/** Compiles one glob after normalising it, or says why it cannot be used; cached by glob and case rule. */
function compileGlob(raw: unknown, nocase: boolean): Result<Compiled, Omit<FieldIssue, "path">> {
  const key = typeof raw === "string" ? `${nocase ? 1 : 0}\u0000${raw}` : null;
  const cached = key === null ? undefined : globCache.get(key);
  if (cached !== undefined) return cached;
  const compiled = compileGlobAnew(raw, nocase);
  if (key !== null) {
    if (globCache.size >= GLOB_CACHE_LIMIT) globCache.delete(globCache.keys().next().value ?? "");
    globCache.set(key, compiled);
  }
  return compiled;
}

function compileGlobAnew(raw: unknown, nocase: boolean): Result<Compiled, Omit<FieldIssue, "path">> {
  return normaliseGlob(raw as string).andThen((glob) => {
    try {
      // A glob whose last segment is a plain name names a file or a folder, as a `.gitignore` line does: it
      // covers itself and everything under it, so `src/components` allows `src/components/Button.tsx` and
      // `**/secrets` forbids `config/secrets/key.txt`.
      const last = glob.split("/").at(-1) ?? "";
      const literal = !picomatch.scan(last, { nonegate: true }).isGlob;
      const patterns = literal ? [glob, `${glob}/**`] : [glob];
      const test = picomatch(patterns, { ...MATCH_OPTIONS, nocase });
      const sources = patterns.map((p) => picomatch.makeRe(p, { ...MATCH_OPTIONS, nocase }).source);
      return ok({ glob, test: (path: string) => test(path), sources, patterns });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return err({
        code: "invalid_glob",
        message: `picomatch cannot compile ${JSON.stringify(glob)}: ${why}`,
      });
    }
  });
}

/** A compiled glob: the normalised glob and a test of a normalised repository path. */
export interface GlobMatcher {
  /** The glob after {@link normaliseGlob}. */
  readonly glob: string;
  /** Whether a normalised repository path matches. */
  readonly test: (path: string) => boolean;
}

/**
 * Compiles one glob the way every path rule is compiled (the matching options above; `nocase` as forbidden and
 * protected globs use it), for rules that match paths outside the three path lists (e.g. import rules). Fails
 * with the issue that makes the glob unusable ({@link normaliseGlob}'s codes, or `invalid_glob`). Never throws.
 */
export function compileGlobMatcher(
  glob: string,
  options: { readonly nocase: boolean },
): Result<GlobMatcher, Omit<FieldIssue, "path">> {
  return compileGlob(glob, options.nocase);
}

/** The sources of a list field, or an issue when the field is not a list. */
function sourcesOf(list: unknown, at: At, issues: FieldIssue[]): GlobSource[] {
  if (!Array.isArray(list)) {
    issues.push({ path: at, code: "invalid_type", message: "must be a list of globs" });
    return [];
  }
  return list.map((glob, i) => ({ glob, at: [...at, i] }));
}

const quote = (s: string): string => JSON.stringify(s);

function makeJudge(rules: { readonly [F in Field]: readonly Compiled[] }): (path: string) => PathVerdict {
  const allowedList = rules.allowed.map((c) => quote(c.glob)).join(", ");
  // An index per list (globs grouped by what a matching path must contain) instead of one matcher per glob.
  const index = {
    forbidden: firstMatchIndex(rules.forbidden, NOCASE.forbidden),
    allowed: firstMatchIndex(rules.allowed, NOCASE.allowed),
    protected: firstMatchIndex(rules.protected, NOCASE.protected),
  };
  return (raw) => {
    const normalised = normaliseRepoPath(raw);
    if (normalised.isErr()) {
      const shown = typeof raw === "string" ? raw : `(${typeof raw})`;
      return {
        path: shown,
        verdict: "invalid_path",
        rule: normalised.error.code,
        message: `${quote(shown)} is not a safe repository path: ${normalised.error.message}`,
      };
    }
    const path = normalised.value;
    const denied = index.forbidden(path);
    if (denied !== undefined) {
      return {
        path,
        verdict: "forbidden",
        rule: denied.glob,
        message: `${quote(path)} matches the forbidden glob ${quote(denied.glob)}`,
      };
    }
    const allowed = index.allowed(path);
    if (allowed === undefined) {
      return {
        path,
        verdict: "outside_allowed",
        rule: NO_ALLOWED_MATCH,
        message:
          rules.allowed.length === 0
            ? `${quote(path)} is outside the allowed paths: none are allowed`
            : `${quote(path)} is outside the allowed paths (${allowedList})`,
      };
    }
    const guarded = index.protected(path);
    if (guarded !== undefined) {
      return {
        path,
        verdict: "protected",
        rule: guarded.glob,
        message: `${quote(path)} matches the protected glob ${quote(guarded.glob)}; changing it needs the protected-path approval`,
      };
    }
    return {
      path,
      verdict: "allowed",
      rule: allowed.glob,
      message: `${quote(path)} is allowed by ${quote(allowed.glob)}`,
    };
  };
}

/** Compiles every source once, reporting every unusable glob; duplicates (after normalising) are kept once. */
function compileSources(
  sources: { readonly [F in Field]: readonly GlobSource[] },
  issues: FieldIssue[],
): Result<PathRules, ValidationError> {
  const compiled: { [F in Field]: Compiled[] } = { allowed: [], forbidden: [], protected: [] };
  for (const field of ["allowed", "forbidden", "protected"] as const) {
    for (const { glob, at } of sources[field]) {
      const c = compileGlob(glob, NOCASE[field]);
      if (c.isErr()) issues.push({ path: at, ...c.error });
      else if (!compiled[field].some((seen) => seen.glob === c.value.glob)) compiled[field].push(c.value);
    }
  }
  if (issues.length > 0) return err(rungateError("validation", "invalid_glob", { issues }));
  const globs = (field: Field) => Object.freeze(compiled[field].map((c) => c.glob));
  return ok(
    Object.freeze({
      allowed: globs("allowed"),
      forbidden: globs("forbidden"),
      protected: globs("protected"),
      judge: makeJudge(compiled),
    }),
  );
}

/**
 * Compiles allowed, forbidden and protected globs ONCE into {@link PathRules} (see the matching options
 * above: `dot` everywhere, deny and protect case-insensitively, allow case-sensitively). Globs are normalised
 * with {@link normaliseGlob} first. An empty `allowed` list is valid and allows nothing.
 *
 * Fails with a `validation` error, code `invalid_glob`, listing EVERY unusable glob with its place, e.g.
 * `["forbidden_paths", 2]` (issue code: the {@link PathIssue} code, or `invalid_glob` when picomatch cannot
 * compile it, or `invalid_type` when a field is not a list). Never throws.
 */
export function compilePathRules(input: {
  readonly allowed: readonly string[];
  readonly forbidden: readonly string[];
  readonly protected: readonly string[];
}): Result<PathRules, ValidationError> {
  const issues: FieldIssue[] = [];
  const given: Partial<Record<Field, unknown>> = typeof input === "object" && input !== null ? input : {};
  return compileSources(
    {
      allowed: sourcesOf(given.allowed, ["allowed_paths"], issues),
      forbidden: sourcesOf(given.forbidden, ["forbidden_paths"], issues),
      protected: sourcesOf(given.protected, ["protected_paths"], issues),
    },
    issues,
  );
}

/** The globs an assignment contributes to its path rules. */
type AssignmentGlobs = {
  readonly allowed_paths: readonly string[];
  readonly forbidden_paths: readonly string[];
};
/** The globs a policy contributes to an assignment's path rules. */
type PolicyGlobs = {
  readonly forbidden_paths: readonly string[];
  readonly protected_paths: readonly string[];
};

/** How many distinct glob sets stay compiled; the oldest is dropped first. */
const CACHE_LIMIT = 512;
const cache = new Map<string, Result<PathRules, ValidationError>>();

/** The glob lists the rules were compiled from, flattened with their lengths so that equal keys mean equal lists. */
function cacheKey(assignment: AssignmentGlobs, policy: PolicyGlobs): unknown[] {
  const lists: unknown[] = [
    assignment.allowed_paths,
    assignment.forbidden_paths,
    policy.forbidden_paths,
    policy.protected_paths,
  ];
  return lists.flatMap((list) => (Array.isArray(list) ? [list.length, ...list] : [-1, list]));
}

/**
 * The {@link PathRules} of one assignment under one policy: the assignment's allowed globs, the union of the
 * assignment's and the policy's forbidden globs, and the policy's protected globs.
 *
 * Compiled once per distinct set of glob lists and cached by their content (a bounded map), so repeated
 * evaluations of the same rules don't recompile, even when the records are fresh copies read back from
 * storage; since the key is the content, a changed list is never judged with stale rules.
 *
 * Fails like {@link compilePathRules}, with issue paths prefixed by where the glob came from:
 * `["assignment", "allowed_paths", 0]`, `["policy", "forbidden_paths", 2]`. Never throws.
 */
export function compilePolicyPathRules(
  assignment: { readonly allowed_paths: readonly string[]; readonly forbidden_paths: readonly string[] },
  policy: { readonly forbidden_paths: readonly string[]; readonly protected_paths: readonly string[] },
): Result<PathRules, ValidationError> {
  const a: AssignmentGlobs =
    typeof assignment === "object" && assignment !== null ? assignment : ({} as AssignmentGlobs);
  const p: PolicyGlobs = typeof policy === "object" && policy !== null ? policy : ({} as PolicyGlobs);
  const key = JSON.stringify(cacheKey(a, p));
  const cached = cache.get(key);
  if (cached !== undefined) return cached;

  const issues: FieldIssue[] = [];
  const result = compileSources(
    {
      allowed: sourcesOf(a.allowed_paths, ["assignment", "allowed_paths"], issues),
      forbidden: [
        ...sourcesOf(a.forbidden_paths, ["assignment", "forbidden_paths"], issues),
        ...sourcesOf(p.forbidden_paths, ["policy", "forbidden_paths"], issues),
      ],
      protected: sourcesOf(p.protected_paths, ["policy", "protected_paths"], issues),
    },
    issues,
  );
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value ?? "");
  cache.set(key, result);
  return result;
}

/**
 * The literal directory prefix of a glob (picomatch's `scan().base`) after normalising it: `src/**` → `src`,
 * `src/*.ts` → `src`, `**\/.env` → `""`, and a literal glob is its own base (`package.json`). A glob that
 * {@link normaliseGlob} refuses has the empty base, which {@link globsMayOverlap} treats as touching
 * everything: an unusable glob is never assumed harmless. Never throws.
 */
export function globBase(glob: string): string {
  const cached = baseCache.get(glob);
  if (cached !== undefined) return cached;
  const base = globBaseAnew(glob);
  if (baseCache.size >= GLOB_CACHE_LIMIT) baseCache.delete(baseCache.keys().next().value ?? "");
  baseCache.set(glob, base);
  return base;
}

const baseCache = new Map<string, string>();

function globBaseAnew(glob: string): string {
  const normalised = normaliseGlob(glob);
  if (normalised.isErr()) return "";
  try {
    return picomatch.scan(normalised.value, { nonegate: true }).base;
  } catch {
    return "";
  }
}

/**
 * Whether two globs MAY touch a common path: true when their literal bases ({@link globBase}) are
 * prefix-related by whole path segments (`src` and `src/db`, equal bases) or either base is empty
 * (`**\/*.json` may reach anything). Bases are compared case-insensitively, because protected and forbidden
 * globs match that way.
 *
 * A deliberate over-approximation, read it as "may touch": `src/*.ts` and `src/db/schema.sql` share the base
 * `src` and are reported as overlapping although no path matches both. Validation uses it to decide whether a
 * card's allowed glob may reach a protected glob (then the card must plan the approval); a false "yes" asks
 * for an approval that turns out unused, a false "no" cannot happen. Never throws.
 */
export function globsMayOverlap(a: string, b: string): boolean {
  const x = globBase(a).toLowerCase();
  const y = globBase(b).toLowerCase();
  return x === "" || y === "" || x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** Index of the bracket closing the one opened at `from`, counting nesting of the same pair; -1 if none. */
function closing(text: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text[i] === open) depth++;
    else if (text[i] === close && --depth === 0) return i;
  }
  return -1;
}

/** Splits on `sep` at nesting depth 0 of `{}`, `()` and `[]`. */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "(" || c === "[") depth++;
    else if (c === "}" || c === ")" || c === "]") depth--;
    else if (c === sep && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

type ProbeKind = "first" | "last";
const FILLER: { readonly [P in ProbeKind]: string } = { first: "x", last: "z" };
const choose = <T>(items: readonly T[], pick: ProbeKind): T | undefined =>
  pick === "first" ? items[0] : items[items.length - 1];

/**
 * A representative path of a glob: `**`, `*`, `?` → the filler (`x`, or `z` for the "last" probe); `{a,b}` →
 * the first (last) alternative; `[abc]` → its first (last) character; `@(a|b)` / `+(a|b)` → an alternative,
 * `?(…)` / `*(…)` → nothing, `!(…)` → the filler. Everything else is literal, so a literal glob is its own probe.
 */
function probeOf(glob: string, pick: ProbeKind): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    const next = glob[i + 1];
    if ("@+?*!".includes(c) && next === "(") {
      const end = closing(glob, i + 1, "(", ")");
      if (end > 0) {
        const alternatives = splitTopLevel(glob.slice(i + 2, end), "|");
        out +=
          c === "@" || c === "+"
            ? probeOf(choose(alternatives, pick) ?? "", pick)
            : c === "!"
              ? FILLER[pick]
              : "";
        i = end;
        continue;
      }
    }
    if (c === "*") {
      while (glob[i + 1] === "*") i++;
      out += FILLER[pick];
    } else if (c === "?") {
      out += FILLER[pick];
    } else if (c === "{") {
      const end = closing(glob, i, "{", "}");
      if (end < 0) out += c;
      else {
        out += probeOf(choose(splitTopLevel(glob.slice(i + 1, end), ","), pick) ?? "", pick);
        i = end;
      }
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      const body = end < 0 ? "" : glob.slice(i + 1, end);
      if (end < 0) out += c;
      else {
        out += body.startsWith("!") || body.startsWith("^") ? FILLER[pick] : (choose([...body], pick) ?? "");
        i = end;
      }
    } else out += c;
  }
  return out;
}

/**
 * The glob among `coveringGlobs` that covers `glob`, i.e. an allowed glob whose paths are forbidden anyway; or
 * `null`. Used by validation to report `allowed_path_forbidden` before anything runs.
 *
 * A heuristic, stated honestly: deciding whether one glob's language is inside another's is not attempted.
 * Instead `glob` gets two representative paths (its probes: `**`, `*`, `?` → `x`; `{a,b}` → `a`; `[abc]` →
 * `a`; a literal glob is its own probe; and a second probe taking `z`, the last alternative and the last
 * character), each probe must match `glob` itself, and the answer is the first covering glob that matches BOTH
 * probes, case-insensitively as forbidden globs do. So `secrets/**` is covered by `secrets/**`, `.env` by
 * `**\/.env`, `src/**\/*.pem` by `**\/*.pem`; `src/**` is not covered by `src/x` (only one probe hits it). It
 * can miss coverage (`src/{a,b}` against `src/a` and `src/b` as two globs) and can, rarely, claim it where
 * another path would escape; the path rules still judge every real change, so a miss here only delays the
 * refusal to {@link PathRules.judge}. A glob that {@link normaliseGlob} refuses is never covered. Never throws.
 */
export function globCoveredBy(glob: string, coveringGlobs: readonly string[]): string | null {
  const self = compileGlob(glob, false);
  if (self.isErr() || !Array.isArray(coveringGlobs)) return null;
  const probes = [probeOf(self.value.glob, "first"), probeOf(self.value.glob, "last")];
  if (!probes.every((probe) => normaliseRepoPath(probe).isOk() && self.value.test(probe))) return null;
  const [first, second] = probes as [string, string];
  const cover = coverIndexOf(coveringGlobs);
  // The index finds the first glob matching one probe; every earlier glob misses it, so the first glob
  // matching both is this one or a later one.
  const at = cover.first(first);
  if (at < 0) return null;
  for (let i = at; i < cover.entries.length; i++) {
    const entry = cover.entries[i];
    if (entry?.compiled.test(first) && entry.compiled.test(second)) return entry.raw;
  }
  return null;
}

/** The usable globs of a covering list, compiled as forbidden globs are, with their index; kept per list. */
const coverIndexes = new WeakMap<
  readonly string[],
  {
    readonly entries: { readonly raw: string; readonly compiled: Compiled }[];
    readonly first: (path: string) => number;
  }
>();

function coverIndexOf(list: readonly string[]) {
  const known = coverIndexes.get(list);
  if (known !== undefined) return known;
  const entries = list.flatMap((raw) => {
    const c = compileGlob(raw, true);
    return c.isOk() ? [{ raw, compiled: c.value }] : [];
  });
  const built = {
    entries,
    first: firstMatchPosition(
      entries.map((e) => e.compiled),
      true,
    ),
  };
  coverIndexes.set(list, built);
  return built;
}
