/**
 * Secret redaction for what a child process printed, applied before any of it leaves the adapter. Pure.
 *
 * This file is kept identical in `process-checks/` and `process-dispatch/` (adapters never import each
 * other); a test compares the two copies.
 */

/** What a secret is replaced with. */
export const REDACTED = "[redacted]";

/** Environment variables whose value is treated as a secret, by name. */
export const SECRET_ENV_NAME = /(TOKEN|KEY|SECRET|PASSWORD|PASSPHRASE|CREDENTIAL)/i;

/** Values shorter than this are not redacted by value (`KEY=1` would blank every `1` of a log). */
export const MIN_SECRET_LENGTH = 6;

/**
 * Well-known token shapes redacted whatever variable they came from: GitHub tokens, `sk-…` API keys
 * (Anthropic, OpenAI, OpenRouter), AWS access key ids, PEM private keys.
 */
export const BUILTIN_SECRET_PATTERNS: readonly string[] = [
  "\\bgh[pousr]_[A-Za-z0-9]{36,}",
  "\\bgithub_pat_[A-Za-z0-9_]{22,}",
  "\\bsk-[A-Za-z0-9_-]{20,}",
  "\\bAKIA[0-9A-Z]{16}\\b",
  "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----",
];

/** A half-open range `[start, end)` of UTF-16 indices. */
type Range = readonly [number, number];

/** Finds and replaces secrets in text. */
export interface Redactor {
  /** The secret ranges in `text`, sorted and merged. */
  find(text: string): Range[];
  /** `text` with every secret replaced by {@link REDACTED}. */
  redact(text: string): string;
  /** UTF-8 length of the longest literal secret (a tail keeps at least this much margin). */
  readonly longest_secret_bytes: number;
}

/**
 * The values of every variable whose name matches {@link SECRET_ENV_NAME}, across `envs` (typically the
 * child's environment and the host's), at least {@link MIN_SECRET_LENGTH} long, longest first.
 */
export function secretValues(envs: readonly Readonly<Record<string, string | undefined>>[]): string[] {
  const values = new Set<string>();
  for (const env of envs) {
    for (const [name, value] of Object.entries(env)) {
      if (value !== undefined && value.length >= MIN_SECRET_LENGTH && SECRET_ENV_NAME.test(name)) {
        values.add(value);
      }
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** Compiles regular-expression sources (throws on an invalid one: callers validate first). */
export function compilePatterns(sources: readonly string[]): RegExp[] {
  return sources.map((source) => new RegExp(source, "g"));
}

function merge(ranges: Range[]): Range[] {
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged: [number, number][] = [];
  for (const [start, end] of ranges) {
    const last = merged.at(-1);
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** A {@link Redactor} for literal `secrets` and regular expressions `patterns` (global flag added). */
export function createRedactor(secrets: readonly string[], patterns: readonly RegExp[]): Redactor {
  const literals = secrets.filter((s) => s.length > 0);
  const regexes = patterns.map((p) => new RegExp(p.source, p.flags.includes("g") ? p.flags : `${p.flags}g`));
  const find = (text: string): Range[] => {
    const ranges: Range[] = [];
    for (const secret of literals) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + secret.length)) {
        ranges.push([at, at + secret.length]);
      }
    }
    for (const regex of regexes) {
      regex.lastIndex = 0;
      for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
        if (m[0].length === 0) regex.lastIndex += 1;
        else ranges.push([m.index, m.index + m[0].length]);
      }
    }
    return merge(ranges);
  };
  return {
    find,
    redact(text) {
      return replaceFrom(text, find(text), 0);
    },
    longest_secret_bytes: literals.reduce((max, s) => Math.max(max, Buffer.byteLength(s)), 0),
  };
}

/** `text` from index `from`, with the ranges replaced; a range reaching over `from` is dropped whole. */
function replaceFrom(text: string, ranges: readonly Range[], from: number): string {
  let out = "";
  let pos = from;
  for (const [start, end] of ranges) {
    if (end <= pos) continue;
    out += `${text.slice(pos, Math.max(pos, start))}${start >= pos ? REDACTED : ""}`;
    pos = end;
  }
  return out + text.slice(pos);
}

/** The UTF-16 index where the last `maxBytes` UTF-8 bytes of `text` begin (never inside a character). */
function tailStart(text: string, maxBytes: number): number {
  let bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return 0;
  let index = 0;
  for (const char of text) {
    if (bytes <= maxBytes) break;
    bytes -= Buffer.byteLength(char);
    index += char.length;
  }
  return index;
}

/** How many leading bytes of `bytes` are UTF-8 continuation bytes (a character cut in half). */
function brokenPrefix(bytes: Uint8Array): number {
  let n = 0;
  while (n < bytes.length && n < 3 && ((bytes[n] ?? 0) & 0xc0) === 0x80) n += 1;
  return n;
}

/**
 * Turns the kept tail of an output into the text that may leave the adapter: decoded as UTF-8, secrets
 * redacted, cut to the last `capBytes` bytes, with a first line saying how much came before when anything
 * was left out. `tail` should hold more than `capBytes` (a margin at least as long as the longest secret), so
 * that a secret cut in half at the start of the tail is dropped with the margin instead of leaking its end.
 */
export function renderTail(
  tail: Uint8Array,
  omittedBefore: number,
  capBytes: number,
  redactor: Redactor,
): string {
  const skip = omittedBefore > 0 ? brokenPrefix(tail) : 0;
  const text = Buffer.from(tail.buffer, tail.byteOffset + skip, tail.byteLength - skip).toString("utf8");
  const ranges = redactor.find(text);
  let from = tailStart(text, capBytes);
  const straddling = ranges.find(([start, end]) => start < from && from < end);
  if (straddling) from = straddling[1];
  let out = replaceFrom(text, ranges, from);
  const over = tailStart(out, capBytes);
  if (over > 0) out = out.slice(over);
  const omitted = omittedBefore + skip + Buffer.byteLength(text.slice(0, from));
  return omitted > 0 ? `[rungate: ${omitted} earlier bytes of output omitted]\n${out}` : out;
}
