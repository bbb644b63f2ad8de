import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";
import { errorMessages, GitHubErrorBody, isAlreadyExists } from "./github-api.js";

/** The port every error of this adapter names. */
export const PORT = "PullRequestHost";

/** The key under which a call's {@link RetryTrace} travels in Octokit's per-call `request` options. */
export const RETRY_TRACE_KEY = "rungateRetryTrace";

/**
 * What rungate's own Octokit (the token form) did about one call's retries, filled in by its plugins while the
 * call runs. A class, not a plain object, so that Octokit's option merging passes it on by reference.
 */
export class RetryTrace {
  /** Requests sent for the call: one, plus each retry. */
  attempts = 0;
  /** Set when a rate-limit handler declined to retry: why, the wait GitHub asked for (s), and the bound it broke. */
  declined: {
    readonly reason: "retries_used_up" | "wait_too_long";
    readonly retryAfter: number;
    readonly limit: number;
  } | null = null;
}

/** What the error mapping needs to know about the call that failed. */
export interface GitHubCallContext {
  /** The host's name (`detail.adapter`). */
  readonly adapter: string;
  readonly owner: string;
  readonly repo: string;
  /** The route, e.g. `"POST /repos/{owner}/{repo}/pulls"` (`detail.operation`). */
  readonly operation: string;
  /** Removes secrets (the token) from any text that goes into an error. */
  readonly redact: (text: string) => string;
  /** The caller's signal: an aborted call is `cancelled`, whatever the transport threw. */
  readonly signal?: AbortSignal | undefined;
  /** Set for reads of one PR: a 404 then means "no such PR" (`not_found` with this id), not "no repo". */
  readonly notFoundId?: string;
  /** Set for `POST …/pulls`: the branches, for the hint added to a 422 about the head or the base. */
  readonly draft?: { readonly head: string; readonly base: string };
  /** With the token form: what the retry and throttling plugins did, so the message says it truthfully. */
  readonly trace?: RetryTrace;
}

/** The shape of Octokit's `RequestError` (and of anything a user-made Octokit throws that looks like it). */
const ThrownRequestError = z.object({
  name: z.string().optional(),
  status: z.number().optional(),
  message: z.string().optional(),
  response: z
    .object({
      headers: z.record(z.string(), z.unknown()).optional(),
      data: z.unknown(),
    })
    .nullish(),
});

/** What went wrong, in this adapter's words; each maps onto a `port_failure` code. */
export type GitHubFailure =
  | "unauthorized"
  | "forbidden"
  | "rate_limited"
  | "secondary_rate_limited"
  | "repo_not_found"
  | "validation_failed"
  | "already_exists"
  | "server_error"
  | "network"
  | "other";

/** Facts read off a failed call. */
interface FailureFacts {
  readonly status: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly body: GitHubErrorBody | undefined;
  /** GitHub's own words: the body's messages, else the thrown message. */
  readonly said: string;
  readonly hasResponse: boolean;
}

function header(facts: FailureFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/** True for a status whose failure may pass if the same call is made again: 408, 429, 5xx, no response. */
export function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/** Classifies a failed call; total, with `other` for anything not listed. */
export function classifyGitHubFailure(facts: FailureFacts): GitHubFailure {
  const { status } = facts;
  if (/secondary rate limit/i.test(facts.said)) return "secondary_rate_limited";
  if ((status === 403 || status === 429) && header(facts, "x-ratelimit-remaining") === "0") {
    return "rate_limited";
  }
  if (status === 429 || (status === 403 && /rate limit/i.test(facts.said))) return "rate_limited";
  switch (status) {
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "repo_not_found";
    case 422:
      return isAlreadyExists(facts.body) ? "already_exists" : "validation_failed";
    default:
      if (status >= 500 && !facts.hasResponse) return "network";
      if (status >= 500) return "server_error";
      if (status === 0) return "network";
      return "other";
  }
}

const CLASSIC_AND_FINE_GRAINED =
  'a classic token needs the "repo" scope ("public_repo" for a public repository); a fine-grained token or GitHub App needs the repository permissions "Pull requests: read and write" and "Contents: read"';

function resetTime(facts: FailureFacts): string {
  const reset = Number(header(facts, "x-ratelimit-reset"));
  return Number.isFinite(reset) && reset > 0 ? ` It resets at ${new Date(reset * 1000).toISOString()}.` : "";
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What was done about retries, when it is known (the token form); empty with your own Octokit, whose plugins
 * rungate cannot see. Never claims a retry that was not made.
 */
function retryNote(ctx: GitHubCallContext): string {
  const { trace } = ctx;
  if (!trace) return "";
  const made = Math.max(0, trace.attempts - 1);
  const declined = trace.declined;
  if (declined?.reason === "wait_too_long") {
    return ` ${made === 0 ? "No retry was made" : `After ${plural(made, "retry", "retries")}, no further retry was made`}: GitHub asks to wait ${declined.retryAfter} s, longer than the ${declined.limit} s this host sits out (maxRetryAfterSeconds).`;
  }
  if (declined?.reason === "retries_used_up") {
    return declined.limit === 0
      ? " No retry was made (retries: 0)."
      : ` ${plural(made, "retry was", "retries were")} made; the ${declined.limit} allowed (retries) are used up.`;
  }
  return made === 0 ? " No retry was made." : ` ${plural(made, "retry was", "retries were")} made.`;
}

/** One of GitHub's `errors[]` entries, as `resource.field code: message`. */
function formatFieldError(e: NonNullable<GitHubErrorBody["errors"]>[number]): string {
  if (typeof e === "string") return e;
  const where = [e.resource, e.field].filter((x) => x !== undefined && x !== "").join(".");
  const what = [e.code, e.message].filter((x) => x !== undefined && x !== "").join(": ");
  return [where, what].filter((x) => x !== "").join(" ") || "(empty)";
}

/** True when GitHub's 422 is about the head branch (`field: "head"`, "No commits between", "head invalid"). */
export function isAboutHead(body: GitHubErrorBody | undefined): boolean {
  const fieldIsHead = (body?.errors ?? []).some((e) => typeof e !== "string" && e.field === "head");
  return fieldIsHead || errorMessages(body).some((m) => /no commits between|\bhead invalid\b/i.test(m));
}

/** True when GitHub's 422 is about the base branch (`field: "base"`, "base invalid"). */
function isAboutBase(body: GitHubErrorBody | undefined): boolean {
  const fieldIsBase = (body?.errors ?? []).some((e) => typeof e !== "string" && e.field === "base");
  return fieldIsBase || errorMessages(body).some((m) => /\bbase invalid\b/i.test(m));
}

/** The 422 sentence: GitHub's message, each of its field errors, and a hint only where it applies. */
function explainValidation(f: FailureFacts, ctx: GitHubCallContext): string {
  const fieldErrors = (f.body?.errors ?? []).map(formatFieldError);
  const hints: string[] = [];
  if (ctx.draft && isAboutHead(f.body)) {
    hints.push(
      `Check that the head branch "${ctx.draft.head}" is pushed to ${ctx.owner}/${ctx.repo} and has commits that "${ctx.draft.base}" lacks.`,
    );
  }
  if (ctx.draft && isAboutBase(f.body)) {
    hints.push(`Check that the base branch "${ctx.draft.base}" exists in ${ctx.owner}/${ctx.repo}.`);
  }
  if (ctx.draft && errorMessages(f.body).some((m) => /draft pull requests are not supported/i.test(m))) {
    hints.push(
      "Draft pull requests need a plan that offers them (any public repository; GitHub Team or Enterprise for a private one).",
    );
  }
  return [
    `GitHub refused the request (422 ${f.said}).`,
    ...(fieldErrors.length > 0 ? [`GitHub's field errors: ${fieldErrors.join("; ")}.`] : []),
    ...hints,
  ].join(" ");
}

/** The actionable sentence per failure. */
const EXPLAIN: {
  readonly [F in GitHubFailure]: (facts: FailureFacts, ctx: GitHubCallContext) => string;
} = {
  unauthorized: (f) =>
    `GitHub rejected the credentials (401 ${f.said}): the token is invalid, expired or revoked. Create a new token and pass it as "token" (or refresh the auth of your Octokit).`,
  forbidden: (f, ctx) => {
    const needs = header(f, "x-accepted-github-permissions");
    return `GitHub refused access to ${ctx.owner}/${ctx.repo} (403 ${f.said}): the token lacks permission; ${CLASSIC_AND_FINE_GRAINED}.${needs ? ` GitHub says this call needs: ${needs}.` : ""}`;
  },
  rate_limited: (f, ctx) =>
    `GitHub's API rate limit for this token is exhausted (${f.status} ${f.said}).${resetTime(f)}${retryNote(ctx)} Retry later, or use a GitHub App installation token for a higher limit.`,
  secondary_rate_limited: (f, ctx) => {
    const after = header(f, "retry-after");
    return `GitHub's secondary rate limit stopped the call (${f.status} ${f.said}).${after ? ` GitHub asks to wait ${after} s.` : ""}${retryNote(ctx)} Retry later and avoid creating pull requests in bursts.`;
  },
  repo_not_found: (f, ctx) =>
    `GitHub answered 404 for ${ctx.owner}/${ctx.repo} (${f.said}): the repository does not exist, or the token cannot see it (a private repository needs a token granted access to it; ${CLASSIC_AND_FINE_GRAINED}).`,
  validation_failed: explainValidation,
  already_exists: (f) => `An open pull request already exists for this head branch (422 ${f.said}).`,
  server_error: (f, ctx) =>
    `GitHub had a server error (${f.status} ${f.said}).${retryNote(ctx)} Retry later.`,
  network: (f, ctx) => `Could not reach GitHub: ${f.said.replace(/\.+$/, "")}.${retryNote(ctx)}`,
  other: (f) => `GitHub answered ${f.status || "without a status"}: ${f.said}.`,
};

function readFacts(error: unknown): FailureFacts {
  const parsed = ThrownRequestError.safeParse(error);
  const thrown = parsed.success ? parsed.data : {};
  const body = GitHubErrorBody.safeParse(thrown.response?.data);
  const messages = body.success ? errorMessages(body.data) : [];
  const fallback = thrown.message ?? (typeof error === "string" ? error : "unknown error");
  return {
    status: thrown.status ?? 0,
    headers: thrown.response?.headers ?? {},
    body: body.success ? body.data : undefined,
    said:
      messages.length > 0 ? messages.join("; ") : fallback.replace(/ - https:\/\/docs\.github\.com\S*$/, ""),
    hasResponse: thrown.response !== undefined && thrown.response !== null,
  };
}

/** True when the call was aborted by the caller. */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return true;
  const name = (error as { name?: unknown } | null)?.name;
  return name === "AbortError";
}

/**
 * Converts whatever an Octokit call threw into the port's error, once, at the edge: an aborted call is
 * `cancelled`; a 404 on a PR read is `not_found`; everything else is a `port_failure` whose code names the
 * {@link GitHubFailure}, whose `cause` is an actionable sentence (token, scopes, rate limit, GitHub's
 * validation message) with every secret redacted, and whose `retryable` follows the status (408, 429, 5xx,
 * no response, and rate limits).
 */
export function toGitHubPortError(error: unknown, ctx: GitHubCallContext): PortError {
  if (isAbort(error, ctx.signal)) return rungateError("cancelled", "aborted", { operation: ctx.operation });
  const facts = readFacts(error);
  if (facts.status === 404 && ctx.notFoundId !== undefined) {
    return rungateError("not_found", "pull_request_not_found", {
      entity: `pull request of ${ctx.owner}/${ctx.repo}`,
      id: ctx.notFoundId,
    });
  }
  const failure = classifyGitHubFailure(facts);
  const retryable =
    failure === "rate_limited" || failure === "secondary_rate_limited" || isRetryableStatus(facts.status);
  return rungateError("port_failure", `github_${failure}`, {
    port: PORT,
    adapter: ctx.adapter,
    operation: ctx.operation,
    retryable,
    // The error formatter ends the sentence itself.
    cause: ctx.redact(EXPLAIN[failure](facts, ctx)).replace(/\.+$/, ""),
  });
}

/** A GitHub answer that did not have the expected shape: not retryable, the issues say what was off. */
export function unexpectedResponse(ctx: GitHubCallContext, issues: string): PortError {
  return rungateError("port_failure", "github_unexpected_response", {
    port: PORT,
    adapter: ctx.adapter,
    operation: ctx.operation,
    retryable: false,
    cause: ctx.redact(`GitHub's answer did not have the expected shape: ${issues}`),
  });
}
