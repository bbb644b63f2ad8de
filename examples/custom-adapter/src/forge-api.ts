/**
 * The wire format of "forge", a small self-hosted git forge with a Gitea-like REST API, and the two tiny total
 * functions that translate it into rungate's words. Everything foreign is validated here, once, with zod:
 * the rest of the adapter only sees parsed values.
 */
import type { HostedPullRequest, PortError } from "rungate";
import { rungateError } from "rungate";
import { z } from "zod";

/** A pull request as the forge's API returns it. */
export const ForgePull = z.object({
  number: z.number().int().positive(),
  html_url: z.url(),
  state: z.enum(["open", "closed"]),
  draft: z.boolean(),
  merged: z.boolean(),
  /** Who merged it (a merge) or closed it (a close); `null` while open. */
  decided_by: z.object({ login: z.string().min(1) }).nullable(),
  head: z.object({ ref: z.string().min(1), sha: z.string().min(1) }),
  base: z.object({ ref: z.string().min(1) }),
});
/** Parsed {@link ForgePull}. */
export type ForgePull = z.infer<typeof ForgePull>;

/** `GET …/pulls?head=<branch>&state=open` answers a list. */
export const ForgePullList = z.array(ForgePull);

/** The forge's error body: `{ "message": "…" }`. */
export const ForgeErrorBody = z.object({ message: z.string() });

/** The forge's pull request, in rungate's words: its state, head and who decided. */
export function toHostedPullRequest(pull: ForgePull): HostedPullRequest {
  return {
    url: pull.html_url,
    status: pull.merged ? "merged" : pull.state === "closed" ? "closed" : pull.draft ? "draft_open" : "open",
    head_sha: pull.head.sha,
    decided_by: pull.decided_by?.login ?? null,
  };
}

/** What one failed HTTP exchange means to rungate. */
export type ForgeFailure =
  | "not_found"
  | "conflict"
  | "unauthorized"
  | "rate_limited"
  | "server_error"
  | "other";

/** Maps an HTTP status of the forge to a {@link ForgeFailure}; anything unforeseen is `other`. */
export function forgeFailureOf(status: number): ForgeFailure {
  switch (true) {
    case status === 404:
      return "not_found";
    case status === 409 || status === 422:
      return "conflict";
    case status === 401 || status === 403:
      return "unauthorized";
    case status === 429:
      return "rate_limited";
    case status >= 500:
      return "server_error";
    default:
      return "other";
  }
}

/** What the error mapping needs to know about the call that failed. */
export interface ForgeCall {
  /** The host's name, for `detail.adapter`. */
  readonly adapter: string;
  /** The route under the repository, e.g. `"POST /pulls"`, for `detail.operation`. */
  readonly operation: string;
  /** The thing a 404 is about, for `not_found` (a PR url, a commit sha). */
  readonly subject: { readonly entity: string; readonly id: string };
}

/**
 * A failed HTTP exchange as a {@link PortError}: 404 is `not_found` and 409/422 `conflict` (the forge said no
 * about this record); the rest is `port_failure`, retryable for 429 and 5xx only. `said` is the forge's own
 * message, kept as the cause.
 */
export function forgeError(call: ForgeCall, status: number, said: string): PortError {
  const failure = forgeFailureOf(status);
  switch (failure) {
    case "not_found":
      return rungateError("not_found", "forge_not_found", call.subject);
    case "conflict":
      return rungateError("conflict", "forge_conflict", { ...call.subject, way_on: said });
    default:
      return rungateError("port_failure", `forge_${failure}`, {
        port: "PullRequestHost",
        adapter: call.adapter,
        operation: call.operation,
        retryable: failure === "rate_limited" || failure === "server_error",
        cause: `HTTP ${status}: ${said}`,
      });
  }
}
