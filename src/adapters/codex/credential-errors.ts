/**
 * What marks an error Codex reports as "no usable key", matched against the message of an `error` event, an
 * `error` item or `turn.failed`, never against what the agent writes:
 *
 * - `401 Unauthorized`: Codex's own wording for a refused request, over WebSocket and HTTPS alike
 *   ("Reconnecting... 2/5 (unexpected status 401 Unauthorized: …)"), whether the key is missing or wrong;
 * - `invalid_api_key`, "Incorrect API key provided", "You didn't provide an API key", "Missing bearer …
 *   authentication": OpenAI's error code and messages for a wrong or missing key.
 *
 * Not matched: 403 (a model or region refused, not a key), 429 (quota), network failures (Codex retries
 * those forever: the inactivity limit stops it). Codex 0.163 retries a 401 ten times (~15 s) before failing
 * the turn; rungate stops it at the first one.
 */
const CREDENTIAL_ERROR_PATTERNS: readonly RegExp[] = [
  /\b401 Unauthorized\b/,
  /\binvalid_api_key\b/,
  /\bIncorrect API key provided\b/i,
  /\bYou didn't provide an API key\b/i,
  /\bMissing bearer (?:or basic )?authentication\b/i,
];

/** Whether an error message of Codex says it has no usable key (see {@link CREDENTIAL_ERROR_PATTERNS}). Pure. */
export function isCredentialError(message: string): boolean {
  return CREDENTIAL_ERROR_PATTERNS.some((pattern) => pattern.test(message));
}
