import { err, ok, type Result } from "neverthrow";

/**
 * Why a repository path (or glob) was refused before any rule looked at it.
 *
 * - `empty`: empty, whitespace only, not a string, or nothing left after dropping `.` segments (the root).
 * - `nul`: contains a NUL character.
 * - `control_char`: contains another control character (C0 `U+0001`–`U+001F`, `DEL`, or C1 `U+0080`–`U+009F`).
 * - `backslash`: contains `\`. We do not guess Windows semantics, so `a\..\b` and `C:\x` are refused here.
 * - `absolute`: starts with `/` (including `//server/share`) or a drive prefix such as `C:` or `C:/`.
 * - `traversal`: has a `..` segment anywhere, even one that would resolve inside the repository (`a/../b`).
 * - `negation`: a glob that starts with `!`; deny rules belong in `forbidden_paths`, not in negated globs.
 * - `unbalanced`: a glob with a `[`, `{` or `(` that is never closed (or a `}` / `)` never opened). picomatch
 *   would read `[` as a literal bracket, so a rule meant as a class would silently match something else.
 */
export interface PathIssue {
  /** Machine code of the broken rule. */
  readonly code:
    | "empty"
    | "nul"
    | "backslash"
    | "absolute"
    | "traversal"
    | "control_char"
    | "negation"
    | "unbalanced";
  /** Human sentence naming the rule (without the offending value's field path). */
  readonly message: string;
}

const issue = (code: PathIssue["code"], message: string): PathIssue => ({ code, message });

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse.
const CONTROL = /[\u0001-\u001f\u007f-\u009f]/;
const DRIVE = /^[A-Za-z]:/;

/**
 * The safety rules shared by paths and globs, applied to the NFC form; returns the `/`-separated segments that
 * remain after dropping empty and `.` segments.
 */
function safeSegments(nfc: string, what: string): Result<string[], PathIssue> {
  if (nfc.trim().length === 0) return err(issue("empty", `the ${what} is empty`));
  if (nfc.includes("\u0000")) return err(issue("nul", `the ${what} contains a NUL character`));
  if (CONTROL.test(nfc)) return err(issue("control_char", `the ${what} contains a control character`));
  if (nfc.includes("\\")) {
    return err(
      issue("backslash", `the ${what} contains a backslash; use "/" (Windows paths are not guessed)`),
    );
  }
  if (nfc.startsWith("/") || DRIVE.test(nfc)) {
    return err(issue("absolute", `the ${what} is absolute; it must be relative to the repository root`));
  }
  const segments = nfc.split("/");
  if (segments.includes("..")) return err(issue("traversal", `the ${what} has a ".." segment`));
  const kept = segments.filter((s) => s !== "" && s !== ".");
  if (kept.length === 0) return err(issue("empty", `the ${what} names the repository root, not a file`));
  return ok(kept);
}

/**
 * Normalises a path as git reports it into rungate's canonical form: POSIX, relative to the repository root,
 * NFC (git on macOS may hand over NFD names; a rule must not be dodged by decomposed characters), without a
 * leading `./`, repeated `/`, `.` segments or a trailing `/`. `./a//b/./c/` becomes `a/b/c`.
 *
 * Fails with a {@link PathIssue} (never throws) when the path is empty or whitespace only, contains NUL, a
 * control character or a backslash, is absolute (`/etc/passwd`, `//server/share`, `C:`, `C:/x`) or has a `..`
 * segment (`../x`, `a/../b`: refused rather than resolved).
 */
export function normaliseRepoPath(raw: string): Result<string, PathIssue> {
  if (typeof raw !== "string") return err(issue("empty", "the path is not a string"));
  return safeSegments(raw.normalize("NFC"), "path").map((segments) => segments.join("/"));
}

/**
 * Normalises a glob (picomatch syntax: `*`, `**`, `?`, `[...]`, `{a,b}`, extglobs) with the same safety rules
 * and clean-up as {@link normaliseRepoPath}, plus: a trailing `/` means "everything in this directory", so
 * `src/` becomes `src/**` (a glob already ending in `**` keeps its form).
 *
 * Fails with a {@link PathIssue} (never throws) for the path reasons, and with `negation` when the glob starts
 * with `!`: deny rules belong in `forbidden_paths`. A `!` elsewhere (an extglob like `src/!(gen)/**`) is fine.
 */
export function normaliseGlob(raw: string): Result<string, PathIssue> {
  if (typeof raw !== "string") return err(issue("empty", "the glob is not a string"));
  const nfc = raw.normalize("NFC");
  return safeSegments(nfc, "glob").andThen((segments) => {
    // Checked after clean-up too: `./!x` would become `!x`, which picomatch reads as a negation.
    if (nfc.startsWith("!") || segments[0]?.startsWith("!")) {
      return err(
        issue("negation", 'the glob starts with "!"; list paths to deny in forbidden_paths instead'),
      );
    }
    const open = unclosed(nfc);
    if (open !== null) {
      return err(
        issue("unbalanced", `the glob has an unbalanced "${open}"; close it (a glob cannot escape it)`),
      );
    }
    const directory = nfc.endsWith("/") && segments[segments.length - 1] !== "**";
    return ok((directory ? [...segments, "**"] : segments).join("/"));
  });
}

/**
 * The first bracket of `glob` left unbalanced: a `[` class never closed, a `{` or `(` never closed, or a `}` or
 * `)` never opened; `null` when all balance. Inside a `[...]` class every other bracket is literal.
 */
function unclosed(glob: string): string | null {
  let inClass = false;
  const stack: string[] = [];
  const pairs: Readonly<Record<string, string>> = { "}": "{", ")": "(" };
  for (const ch of glob) {
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "{" || ch === "(") stack.push(ch);
    else if (ch === "}" || ch === ")") {
      if (stack.pop() !== pairs[ch]) return ch;
    }
  }
  if (inClass) return "[";
  return stack.pop() ?? null;
}
