/**
 * Parsers for the plumbing output this adapter asks git for: NUL-separated (`-z`) where paths are read as
 * text, and git's C-quoted form (`core.quotePath=true`) for the changed files, whose names must come back as
 * the exact bytes git has. Pure; no human-readable output is ever parsed.
 */

/** One entry of `git diff-tree -r -M --raw <base> <head>`. */
export interface RawChange {
  /** The status letter (`A`, `M`, `D`, `R`, `C`, `T`, …) without its score. */
  readonly letter: string;
  /** Similarity score of a rename or copy (`R086` → 86), else `null`. */
  readonly score: number | null;
  /** Mode at the base (`000000` when the path did not exist there). */
  readonly old_mode: string;
  /** Mode at the head (`000000` when the path no longer exists). */
  readonly new_mode: string;
  /** Blob (or gitlink) at the base. */
  readonly old_object: string;
  /** Blob (or gitlink) at the head. */
  readonly new_object: string;
  /** The path at the head (for a deletion: the deleted path). */
  readonly path: string;
  /** For a rename or copy: the path at the base. */
  readonly previous_path: string | null;
}

/** An all-zero mode or object id: "no such side". */
export const NULL_MODE = "000000";

const RAW_HEADER = /^:([0-7]{6}) ([0-7]{6}) ([0-9a-f]{40,64}) ([0-9a-f]{40,64}) ([A-Z])([0-9]{0,3})$/;

/** Splits `-z` output into fields; the trailing empty field after the last NUL is dropped. */
export function splitNul(stdout: string): string[] {
  const fields = stdout.split("\u0000");
  if (fields.at(-1) === "" || fields.at(-1) === "\n") fields.pop();
  return fields;
}

/** A path as git printed it with `core.quotePath=true`, decoded back to its exact bytes. */
export interface ExactPath {
  /** The name as text: exact when it is valid UTF-8, else with U+FFFD for each byte that is not. */
  readonly text: string;
  /** The exact bytes, base64, only when they are not valid UTF-8 (`null` otherwise: `text` is exact). */
  readonly bytes_base64: string | null;
}

const C_ESCAPES: Readonly<Record<string, number>> = {
  a: 7,
  b: 8,
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
  '"': 34,
  "\\": 92,
};

/**
 * The bytes of a path as git quotes it (`core.quotePath=true`): a name with a control character, a quote, a
 * backslash or any byte above 0x7f is printed between double quotes with C escapes (`\t`, `\"`, `\\`, and
 * `\ooo` octal for every such byte); any other name is printed as it is. `null` for a malformed quote.
 */
export function unquotePath(printed: string): Uint8Array | null {
  if (!printed.startsWith('"')) return new TextEncoder().encode(printed);
  if (!printed.endsWith('"') || printed.length < 2) return null;
  const body = printed.slice(1, -1);
  const out: number[] = [];
  for (let i = 0; i < body.length; i += 1) {
    const c = body.charCodeAt(i);
    if (body[i] !== "\\") {
      if (c > 0x7f) return null;
      out.push(c);
      continue;
    }
    const next = body[i + 1] ?? "";
    const octal = /^[0-7]{3}$/.exec(body.slice(i + 1, i + 4));
    if (octal !== null) {
      out.push(Number.parseInt(octal[0], 8));
      i += 3;
    } else if (next in C_ESCAPES) {
      out.push(C_ESCAPES[next] ?? 0);
      i += 1;
    } else return null;
  }
  return Uint8Array.from(out);
}

/** {@link ExactPath} of a printed path; `null` for a malformed quote. */
export function exactPath(printed: string): ExactPath | null {
  const bytes = unquotePath(printed);
  if (bytes === null) return null;
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), bytes_base64: null };
  } catch {
    return {
      text: new TextDecoder("utf-8").decode(bytes),
      bytes_base64: Buffer.from(bytes).toString("base64"),
    };
  }
}

/** One entry of {@link parseQuotedRawDiff}: a {@link RawChange} whose paths are exact. */
export interface ExactRawChange extends RawChange {
  readonly path_bytes: string | null;
  readonly previous_path_bytes: string | null;
}

/**
 * Parses `diff-tree -r -M --raw` output printed with `core.quotePath=true` (no `-z`): one line per change,
 * `:<old mode> <new mode> <old sha> <new sha> <status>` TAB `<path>` (TAB `<path>` for renames and copies,
 * source first). Quoting makes every line pure ASCII, so nothing is lost to text decoding, and names that
 * are not valid UTF-8 keep their exact bytes ({@link ExactPath}). Fails with the offending line.
 */
export function parseQuotedRawDiff(
  stdout: string,
): { ok: true; changes: ExactRawChange[] } | { ok: false; field: string } {
  const changes: ExactRawChange[] = [];
  for (const line of stdout.split("\n")) {
    if (line === "") continue;
    const [header = "", first, second, ...rest] = line.split("\t");
    const match = RAW_HEADER.exec(header);
    if (match === null || rest.length > 0) return { ok: false, field: line };
    const [, old_mode = "", new_mode = "", old_object = "", new_object = "", letter = "", score = ""] = match;
    const twoPaths = letter === "R" || letter === "C";
    if (first === undefined || (twoPaths ? second === undefined : second !== undefined)) {
      return { ok: false, field: line };
    }
    const head = exactPath(twoPaths ? (second ?? "") : first);
    const previous = twoPaths ? exactPath(first) : null;
    if (head === null || (twoPaths && previous === null)) return { ok: false, field: line };
    changes.push({
      letter,
      score: score === "" ? null : Number.parseInt(score, 10),
      old_mode,
      new_mode,
      old_object,
      new_object,
      path: head.text,
      path_bytes: head.bytes_base64,
      previous_path: previous?.text ?? null,
      previous_path_bytes: previous?.bytes_base64 ?? null,
    });
  }
  return { ok: true, changes };
}

/** One entry of `git ls-tree -z <tree> -- <path>`. */
export interface TreeEntry {
  readonly mode: string;
  /** `blob`, `tree` or `commit` (a submodule). */
  readonly type: string;
  readonly object: string;
  readonly path: string;
}

/** Parses `ls-tree -z`: `<mode> SP <type> SP <object> TAB <path>` per NUL-ended field. */
export function parseLsTree(stdout: string): TreeEntry[] {
  return splitNul(stdout).flatMap((field) => {
    const match = /^([0-7]{6}) ([a-z]+) ([0-9a-f]{40,64})\t([\s\S]*)$/.exec(field);
    if (match === null) return [];
    const [, mode = "", type = "", object = "", path = ""] = match;
    return [{ mode, type, object, path }];
  });
}

/** One commit of `git log -z --format=%H%x00%B%x00%cI`. */
export interface LogEntry {
  readonly sha: string;
  readonly message: string;
  readonly committed_at: string;
}

/**
 * Parses `log -z --format=%H%x00%B%x00%cI`: three NUL-separated fields per commit, commits separated by NUL
 * (a commit message cannot contain NUL). The message loses its final newline. `null` when the field count is
 * not a multiple of three.
 */
export function parseLog(stdout: string): LogEntry[] | null {
  const fields = splitNul(stdout);
  if (fields.length % 3 !== 0) return null;
  const entries: LogEntry[] = [];
  for (let i = 0; i < fields.length; i += 3) {
    entries.push({
      sha: (fields[i] ?? "").trim(),
      message: (fields[i + 1] ?? "").replace(/\n+$/, ""),
      committed_at: (fields[i + 2] ?? "").trim(),
    });
  }
  return entries;
}
