import picomatch from "picomatch";

/**
 * Something every path matching a picomatch pattern is sure to have, found without running the pattern:
 *
 * - `base`: the path is `text` or lies under it (`packages/a/**` → `packages/a`; a literal glob is its own base);
 * - `segment`: one of the path's segments is `text` (`**\/secrets/**` → `secrets`);
 * - `prefix` / `suffix`: the path's last segment starts / ends with `text` (`**\/x-secret*` → `x-secret`,
 *   `**\/*.pem` → `.pem`).
 *
 * Keys hold for paths without empty segments (no leading, trailing or doubled `/`); the index does not use them
 * for other paths.
 */
export interface GlobKey {
  /** What the key says about a matching path (see {@link GlobKey}). */
  readonly kind: "base" | "segment" | "prefix" | "suffix";
  /** The literal text the path must have there. */
  readonly text: string;
}

/** Characters that may mean more than themselves to picomatch somewhere; text with none of them is literal. */
const SPECIAL = /[*?[\]{}()|!]/;
/** At most this many alternatives from expanding a segment's braces, to keep the index small. */
const BRACE_LIMIT = 32;

/**
 * The keys of one picomatch pattern (as rungate compiles it: normalised, `dot: true`, `nonegate: true`): every
 * path the pattern's regular expression matches has AT LEAST ONE of them (a path equal to the pattern's text,
 * which picomatch's matcher also takes, need not). `undefined` when no key is safely derivable; such a pattern
 * must be tried on every path.
 *
 * Only shapes whose meaning is plain are read: the static base picomatch's `scan` reports, literal segments,
 * and the literal start or end of the last segment (after expanding simple brace sets such as `*.{ts,tsx}`).
 * Anything else (classes, extglobs, nested or comma-less braces, `**` inside a segment) gives no key.
 */
export function patternKeys(pattern: string): GlobKey[] | undefined {
  // Why: picomatch passes a `|` outside parentheses through to the expression, where it splits the WHOLE
  // pattern into alternatives (`a/{x|y}` matches `y}`), so no part of such a pattern is required.
  if (hasBareBar(pattern)) return undefined;
  let base: string;
  try {
    base = picomatch.scan(pattern, { nonegate: true }).base;
  } catch {
    return undefined;
  }
  if (base !== "" && !SPECIAL.test(base)) return [{ kind: "base", text: base }];
  return segmentKeys(pattern.split("/"));
}

/** Whether `pattern` has a `|` outside parentheses. */
function hasBareBar(pattern: string): boolean {
  let depth = 0;
  for (const c of pattern) {
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "|" && depth <= 0) return true;
  }
  return false;
}

/**
 * The most selective key among the pattern's segments, or `undefined`. Each segment other than `**` must stand
 * for exactly one path segment (no classes, which may match `/`; no extglobs; no `**` inside a segment; braces
 * closed within the segment), so that a literal segment is a path segment and the last one is the basename.
 */
function segmentKeys(segments: readonly string[]): GlobKey[] | undefined {
  let best: GlobKey[] | undefined;
  let bestScore = 0;
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === "**") continue;
    if (segment.includes("**") || /[[\]()]/.test(segment)) return undefined;
    const alternatives = expandBraces(segment);
    if (alternatives === undefined) return undefined;
    const keys = alternatives.every((a) => !SPECIAL.test(a))
      ? alternatives.map((text): GlobKey => ({ kind: "segment", text }))
      : i === last
        ? alternatives.map(basenameKey)
        : [];
    // A key set is as selective as its shortest text; an empty text selects nothing.
    const score = keys.length === 0 ? 0 : Math.min(...keys.map((k) => k.text.length));
    if (score > bestScore) {
      best = keys;
      bestScore = score;
    }
  }
  return best;
}

/** The longer of the literal start and the literal end of a last segment without braces. */
function basenameKey(segment: string): GlobKey {
  const start = /^[^*?!]*/.exec(segment)?.[0] ?? "";
  const end = /[^*?!]*$/.exec(segment)?.[0] ?? "";
  return start.length >= end.length ? { kind: "prefix", text: start } : { kind: "suffix", text: end };
}

/**
 * The alternatives of a segment's brace sets (`*.{ts,tsx}` → `*.ts`, `*.tsx`), or `undefined` when a set is not
 * a plain comma list (nested, without a comma, a `..` range) or there would be too many.
 */
function expandBraces(segment: string): string[] | undefined {
  const open = segment.indexOf("{");
  const close = segment.indexOf("}");
  if (open < 0) return close < 0 ? [segment] : undefined;
  if (close < open) return undefined;
  const body = segment.slice(open + 1, close);
  if (body.includes("{") || !body.includes(",") || body.includes("..")) return undefined;
  const rests = expandBraces(segment.slice(close + 1));
  if (rests === undefined) return undefined;
  const head = segment.slice(0, open);
  const out = body.split(",").flatMap((alternative) => rests.map((rest) => `${head}${alternative}${rest}`));
  return out.length > BRACE_LIMIT ? undefined : out;
}

/**
 * `text` with every UTF-16 code unit replaced by its canonical form under a case-insensitive regular expression
 * WITHOUT the `u` flag (ECMAScript's Canonicalize), as picomatch's `nocase` expressions compare: two strings of
 * equal length match each other case-insensitively exactly when their folded forms are equal. Lower-casing is
 * not the same (`ς` and `σ` match but lower-case apart; the Kelvin sign lower-cases to `k` but does not match
 * it). Keeps the length.
 */
export function foldCase(text: string): string {
  const upper = text.toUpperCase();
  let ascii = upper.length === text.length;
  for (let i = 0; ascii && i < text.length; i++) ascii = text.charCodeAt(i) < 128;
  if (ascii) return upper;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const unit = text[i] as string;
    const folded = unit.toUpperCase();
    // Canonicalize keeps a unit whose upper case is not one unit, or would turn non-ASCII into ASCII.
    const keep = folded.length !== 1 || (unit.charCodeAt(0) >= 128 && folded.charCodeAt(0) < 128);
    out += keep ? unit : folded;
  }
  return out;
}
