import type { RuleMeaning } from "./dossier-report.js";

/**
 * Characters picomatch reads as glob syntax (or that rungate's glob checks treat as brackets). Each is written
 * as a one-character class (`[*]`), because rungate refuses backslashes in globs, so `\*` is not available.
 * `"` starts a quoted part, `+` after a class is read as a regular-expression repeat. `]` and `^` are left
 * alone: with every `[` escaped, a `]` closes nothing and is read literally, and `^` would mean negation inside
 * a class while picomatch reads it literally outside one. Checked by the property test of this conversion.
 */
const GLOB_SPECIAL = new Set(["*", "?", "[", "{", "}", "(", ")", "|", "+", '"']);

/** `text` as a glob that matches exactly `text` (within one path segment, so `text` must hold no `/`). */
export function escapeGlobLiteral(text: string): string {
  let out = "";
  for (const ch of text) out += GLOB_SPECIAL.has(ch) ? `[${ch}]` : ch;
  return out;
}

/**
 * {@link escapeGlobLiteral} for a part that a `*` follows: a `.` right before a `*` is escaped too, because
 * picomatch reads `.*` as "a dot and then at least one character" (so `*.*` would miss `notes.`).
 */
function escapeBeforeStar(text: string): string {
  const escaped = escapeGlobLiteral(text);
  return escaped.endsWith(".") ? `${escaped.slice(0, -1)}[.]` : escaped;
}

/** True when `text` has a letter whose upper and lower case differ: a case-insensitive match then differs. */
function hasCase(text: string): boolean {
  return text.toLowerCase() !== text.toUpperCase();
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what rungate refuses in paths.
const UNREPRESENTABLE = /[\u0000-\u001f\u007f-\u009f\\]/;

/** The globs a substring rule became and what that does to its meaning. */
export interface SubstringConversion {
  readonly globs: readonly string[];
  readonly meaning: RuleMeaning;
  readonly reason: string;
}

/**
 * Converts a reference rule, a SUBSTRING (a path is covered when it contains it anywhere: `.env` covers
 * `config/.env` and `.envrc`), into picomatch globs covering the same repository paths (POSIX, relative, no
 * empty, `.` or `..` segment: what git reports and rungate accepts).
 *
 * - No `/` in `s`: `s` lies inside one segment, the last (`**\/*s*`) or an earlier one (`**\/*s*\/**`).
 * - With `/`: `s` is `h/m1/…/mk/t`, so a segment ending in `h`, then the whole segments `m1…mk`, then a
 *   segment starting with `t`: `**\/*h/m1/…/mk/t*` and the same followed by `/**`. An empty `h` or `t` leaves
 *   `*`, which still needs a segment there (`/src` is not in `src/a.ts`).
 * - Empty `s`: every path contains it, so `**`.
 * - A middle part that is empty, `.` or `..`, a backslash or a control character: no path rungate accepts can
 *   contain `s` (rungate refuses such paths before any rule is read), so no glob at all (`never_matches`).
 *
 * Glob characters in `s` are escaped ({@link escapeGlobLiteral}). Forbidden and protected globs match without
 * regard to case in rungate, so a rule with letters forbids more than it did (`case_insensitive`). Pure.
 */
export function convertSubstringRule(s: string): SubstringConversion {
  if (s === "") {
    return { globs: ["**"], meaning: "same", reason: "an empty substring is in every path: everything" };
  }
  if (UNREPRESENTABLE.test(s)) {
    return {
      globs: [],
      meaning: "never_matches",
      reason: "rungate refuses any path with a backslash or a control character before rules apply; dropped",
    };
  }
  const parts = s.split("/");
  const middle = parts.slice(1, -1);
  if (middle.some((m) => m === "" || m === "." || m === "..")) {
    return {
      globs: [],
      meaning: "never_matches",
      reason: "it holds an empty, `.` or `..` path segment, which no repository path has; dropped",
    };
  }
  const head = parts[0] ?? "";
  const tail = parts.length > 1 ? (parts[parts.length - 1] ?? "") : "";
  const core =
    parts.length === 1
      ? `*${escapeBeforeStar(head)}*`
      : [`*${escapeGlobLiteral(head)}`, ...middle.map(escapeGlobLiteral), `${escapeBeforeStar(tail)}*`].join(
          "/",
        );
  const globs = [`**/${core}`, `**/${core}/**`];
  const nfc = s.normalize("NFC") === s ? "" : " (rungate compares paths in Unicode NFC; so does this glob)";
  return hasCase(s)
    ? {
        globs,
        meaning: "case_insensitive",
        reason: `the same paths, but rungate's forbidden and protected globs ignore case: it also covers paths that differ only by case${nfc}`,
      }
    : { globs, meaning: "same", reason: `exactly the paths that contain the substring${nfc}` };
}

/**
 * A reference allowed path (a file name the planner listed, compared as a plain string by the reference) as a
 * rungate glob matching that name: glob characters escaped (a leading `!` too), a leading `/` dropped (rungate's globs are relative
 * to the repository root). When escaping made the last segment a glob, `<glob>/**` is added, so a folder name
 * such as `app/[id]` still covers its content, as a plain name does in rungate. `null` when nothing is left.
 */
export function literalAllowedGlobs(path: string): readonly string[] | null {
  const relative = path.replace(/^\/+/, "");
  if (relative.trim() === "") return null;
  // A glob starting with `!` is a negation, which rungate refuses; `[!]` is the literal character.
  const glob = relative.split("/").map(escapeGlobLiteral).join("/").replace(/^!/, "[!]");
  const last = relative.split("/").at(-1) ?? "";
  return glob.split("/").at(-1) === last || last === "" ? [glob] : [glob, `${glob}/**`];
}
