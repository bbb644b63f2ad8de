import { createHash } from "node:crypto";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { OctokitLike, ParsedGitHubTokenConfig } from "./github-config.js";
import { RETRY_TRACE_KEY, RetryTrace } from "./map-github-errors.js";

/** The call's {@link RetryTrace}, when the adapter passed one in the request options. */
function traceOf(options: unknown): RetryTrace | undefined {
  const request = (options as { request?: Record<string, unknown> } | null)?.request;
  const trace = request?.[RETRY_TRACE_KEY];
  return trace instanceof RetryTrace ? trace : undefined;
}

/**
 * Counts the requests actually sent for one call. Registered before the retry and throttling plugins, so its
 * hook is the innermost wrap: every retry passes through it again.
 */
const countAttempts: Parameters<typeof Octokit.plugin>[number] = (octokit) => {
  octokit.hook.wrap("request", (request, options) => {
    const trace = traceOf(options);
    if (trace) trace.attempts += 1;
    return request(options);
  });
  return {};
};

/** Octokit with bounded retries (5xx, 429) and rate-limit handling (Retry-After, reset time). */
const RetryingOctokit = Octokit.plugin(countAttempts, retry, throttling);

const noop = (): void => {};

/**
 * The throttling plugin spaces write calls per `id` (GitHub asks for at least a second between content-creating
 * requests of one client). The id is a hash of API root and token: calls with one token share the spacing, and
 * the token itself never becomes a key.
 */
function throttleId(baseUrl: string, token: string): string {
  return `rungate-github-${createHash("sha256").update(`${baseUrl}\n${token}`).digest("hex").slice(0, 16)}`;
}

/**
 * Builds the Octokit of a token config: `@octokit/rest` with `@octokit/plugin-retry` (at most `retries`
 * retries of 5xx and network failures, with growing back-off) and `@octokit/plugin-throttling` whose handlers retry a primary or
 * secondary rate limit at most `retries` times and only when the wait (Retry-After, or until the reset) is at
 * most `maxRetryAfterSeconds`; otherwise the 403/429 comes back as a retryable `port_failure`. Octokit's own
 * error logging is silenced: failures come back as values. A call that passes a {@link RetryTrace} in its request
 * options (under {@link RETRY_TRACE_KEY}) learns how many requests were sent and why a rate-limit retry was
 * declined, so that its error can say so truthfully.
 */
export function createRetryingOctokit(config: ParsedGitHubTokenConfig): OctokitLike {
  const baseUrl = (config.baseUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const withinBounds = (retryAfter: number, options: unknown, _octokit: unknown, retryCount: number) => {
    if (retryCount < config.retries && retryAfter <= config.maxRetryAfterSeconds) return true;
    const trace = traceOf(options);
    if (trace) {
      trace.declined =
        retryCount >= config.retries
          ? { reason: "retries_used_up", retryAfter, limit: config.retries }
          : { reason: "wait_too_long", retryAfter, limit: config.maxRetryAfterSeconds };
    }
    return false;
  };
  return new RetryingOctokit({
    auth: config.token,
    baseUrl,
    userAgent: config.userAgent ?? "rungate",
    log: { debug: noop, info: noop, warn: console.warn.bind(console), error: noop },
    request: config.fetch ? { fetch: config.fetch } : {},
    // 429 is left to the throttling handlers, which honour Retry-After; plugin-retry would back off blindly.
    retry: { retries: config.retries, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
    throttle: {
      id: throttleId(baseUrl, config.token),
      onRateLimit: withinBounds,
      onSecondaryRateLimit: withinBounds,
    },
  });
}
