/**
 * One redaction boundary for everything rungate stores or emits: literal secret values (every secret any
 * adapter or the host gave rungate) and detectors for common token shapes. Pure: no I/O, no environment.
 *
 * Redaction is idempotent (`redact(redact(x)) === redact(x)`): every match is replaced by
 * {@link REDACTED_MARK}, which no detector matches as a secret of its own beyond itself. Snapshots are hashed,
 * so a record redacted once must read back unchanged when redacted again.
 */
import { putOwn } from "../snapshot/put-own.js";

/** What a secret is replaced with. */
export const REDACTED_MARK = "[redacted]";

/** Literal values shorter than this are not redacted by value (`KEY=1` would blank every `1`). */
export const MIN_SECRET_VALUE_LENGTH = 8;

/** Environment variable names whose values are secrets. */
export const SECRET_NAME =
  /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|API_?KEY|PRIVATE_?KEY|_KEY$|^KEY$)/i;

/** A detector: a pattern, which capture group is the secret (0: the whole match), and a test it must pass. */
interface Detector {
  readonly name: string;
  readonly pattern: RegExp;
  readonly group: number;
  /** Only a secret that passes this is redacted (default: every match). */
  readonly looksSecret?: (secret: string) => boolean;
}

/**
 * Whether an assigned value looks like a credential rather than a word of code (`tokenCount = countTokens`):
 * letters and digits mixed, or long with three character classes.
 */
function looksRandom(value: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((c) => c.test(value)).length;
  return (/\d/.test(value) && /[A-Za-z]/.test(value)) || (value.length >= 20 && classes >= 3);
}

/** Token shapes redacted wherever they appear, whoever produced them. */
export const SECRET_DETECTORS: readonly Detector[] = [
  { name: "github-token", pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}/g, group: 0 },
  { name: "github-pat", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}/g, group: 0 },
  { name: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g, group: 0 },
  { name: "api-key-sk", pattern: /\bsk-[A-Za-z0-9_-]{20,}/g, group: 0 },
  { name: "slack-token", pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, group: 0 },
  { name: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g, group: 0 },
  { name: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, group: 0 },
  {
    name: "pem-private-key",
    // A block cut short (a tail that lost its END line) is redacted to the end of the text.
    pattern: /-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]{0,20}PRIVATE KEY-----|$)/g,
    group: 0,
  },
  // scheme://user:password@host: the password only; user and host stay readable.
  // Every run bounded: an unbounded scheme or user made a long dotted word cost quadratic time.
  {
    name: "url-password",
    pattern: /\b[a-z][a-z0-9+.-]{0,30}:\/\/[^\s/@:]{0,256}:([^\s/@]{1,1024})@/gi,
    group: 1,
  },
  // NAME=value, NAME: value, "name": "value" where NAME says it holds a secret.
  {
    name: "secret-assignment",
    pattern:
      /\b[A-Za-z0-9_.-]{0,40}(?:token|secret|password|passwd|passphrase|api[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]{0,40}["']?\s{0,4}[:=]\s{0,4}["']?([^\s"',;]{8,1024})/gi,
    group: 1,
    looksSecret: looksRandom,
  },
  // Authorization headers.
  { name: "authorization", pattern: /\b(?:Bearer|Basic|token)\s+([A-Za-z0-9._~+/=-]{16,})/g, group: 1 },
];

/** Texts up to this long have their redaction remembered by a redactor (longer ones rarely repeat). */
const MEMO_MAX_TEXT_LENGTH = 256;
/** How many texts a redactor remembers (the oldest forgotten first): at most about 4 MB of strings. */
const MEMO_MAX_ENTRIES = 4096;

/** What {@link createSecretRedactor} is fed. */
export interface SecretRedactorInput {
  /** Literal secret values (tokens, passwords, env values marked secret); short ones are ignored. */
  readonly secrets?: readonly string[];
  /** Extra patterns: every match is redacted whole. */
  readonly patterns?: readonly RegExp[];
}

/** Redacts text, and every string inside a JSON-like value. */
export interface SecretRedactor {
  /** `text` with every secret replaced by {@link REDACTED_MARK}. */
  redactText(text: string): string;
  /**
   * A copy of `value` with {@link SecretRedactor.redactText} applied to every string value. Keys are left as
   * they are: two keys redacted to the same mark would collapse into one, and lose a value.
   */
  redactValue<T>(value: T): T;
  /** A redactor that also knows `secrets` (this one unchanged). */
  withSecrets(secrets: readonly string[]): SecretRedactor;
  /** How many literal secret forms it knows (for tests and diagnostics; never the values). */
  readonly literal_count: number;
}

/** Base64 (standard alphabet) of a string's UTF-8 bytes, without a platform Buffer. */
function base64Of(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a = 0, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += alphabet[(n >> 18) & 63] ?? "";
    out += alphabet[(n >> 12) & 63] ?? "";
    out += i + 1 < bytes.length ? (alphabet[(n >> 6) & 63] ?? "") : "=";
    out += i + 2 < bytes.length ? (alphabet[n & 63] ?? "") : "=";
  }
  return out;
}

/** The forms a literal secret may appear in: as given, URL-encoded, and base64 (of it, and of `x:<it>`). */
function literalForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret)]);
  // Base64 of the secret alone is stable only without padding drift; the common case is a Basic header.
  const b64 = base64Of(secret).replace(/=+$/, "");
  if (b64.length >= MIN_SECRET_VALUE_LENGTH) forms.add(b64);
  return [...forms].filter((f) => f.length >= MIN_SECRET_VALUE_LENGTH);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A {@link SecretRedactor} for `secrets` and `patterns` plus the built-in {@link SECRET_DETECTORS}. Literal
 * values are matched longest first, so a secret that contains another is redacted whole.
 */
export function createSecretRedactor(input: SecretRedactorInput = {}): SecretRedactor {
  const literals = [
    ...new Set(
      (input.secrets ?? [])
        .filter((s) => typeof s === "string" && s.length >= MIN_SECRET_VALUE_LENGTH)
        .flatMap(literalForms),
    ),
  ]
    // The mark itself is never a secret: redacting it again must change nothing.
    .filter((s) => !REDACTED_MARK.includes(s))
    .sort((a, b) => b.length - a.length);
  const literal = literals.length === 0 ? null : new RegExp(literals.map(escapeRegExp).join("|"), "g");
  const extra = (input.patterns ?? []).map(
    (p) => new RegExp(p.source, p.flags.includes("g") ? p.flags : `${p.flags}g`),
  );

  const redactFresh = (text: string): string => {
    let out = literal === null ? text : text.replace(literal, REDACTED_MARK);
    for (const { pattern, group, looksSecret } of SECRET_DETECTORS) {
      out = out.replace(pattern, (match: string, ...captures: unknown[]) => {
        if (group === 0) return REDACTED_MARK;
        const secret = captures[group - 1];
        if (typeof secret !== "string" || secret.includes(REDACTED_MARK)) return match;
        if (looksSecret !== undefined && !looksSecret(secret)) return match;
        const at = match.lastIndexOf(secret);
        return `${match.slice(0, at)}${REDACTED_MARK}${match.slice(at + secret.length)}`;
      });
    }
    for (const pattern of extra) out = out.replace(pattern, REDACTED_MARK);
    return out;
  };
  // The same short strings (ids, paths, times, phases) are redacted on every write; a redactor never learns
  // more secrets (withSecrets makes another), so each answer can be kept. Bounded in count and in length.
  const memo = new Map<string, string>();
  const redactText = (text: string): string => {
    if (text.length > MEMO_MAX_TEXT_LENGTH) return redactFresh(text);
    const known = memo.get(text);
    if (known !== undefined) return known;
    const out = redactFresh(text);
    if (memo.size >= MEMO_MAX_ENTRIES) {
      const oldest = memo.keys().next();
      if (!oldest.done) memo.delete(oldest.value);
    }
    memo.set(text, out);
    return out;
  };

  const redactValue = <T>(value: T): T => deepMap(value, redactText) as T;

  return {
    redactText,
    redactValue,
    withSecrets: (secrets) =>
      createSecretRedactor({
        secrets: [...(input.secrets ?? []), ...secrets],
        patterns: input.patterns ?? [],
      }),
    literal_count: literals.length,
  };
}

/** `value` with `f` applied to every string value; keys and other leaves as they are. */
function deepMap(value: unknown, f: (s: string) => string): unknown {
  if (typeof value === "string") return f(value);
  if (Array.isArray(value)) {
    // Loops, not map/entries: every record of every write is walked here, and the loops allocate less.
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = deepMap(value[i], f);
    return out;
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) putOwn(out, k, deepMap((value as Record<string, unknown>)[k], f));
    return out;
  }
  return value;
}

/**
 * The values of every variable of `env` whose name says it holds a secret ({@link SECRET_NAME}), at least
 * {@link MIN_SECRET_VALUE_LENGTH} long. Pass the host's own environment (`process.env`): an agent outside a
 * sandbox can read its parent's, so whatever secret the host holds must be known to the redactor.
 */
export function secretsFromEnvironment(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(
      ([name, value]) =>
        value !== undefined && value.length >= MIN_SECRET_VALUE_LENGTH && SECRET_NAME.test(name),
    )
    .map(([, value]) => value as string);
}
