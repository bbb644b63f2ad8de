import { z } from "zod";
import type { HostedPullRequest } from "../../ports/pull-request-host.js";

/**
 * The fields of a GitHub pull request this adapter reads, from `GET /repos/{owner}/{repo}/pulls/{n}`, the
 * `POST …/pulls` answer and the items of `GET …/pulls` (which lack `merged` and `merged_by`, hence optional).
 */
export const GitHubPull = z.object({
  number: z.int().positive(),
  html_url: z.url(),
  state: z.enum(["open", "closed"]),
  draft: z.boolean().nullish(),
  merged: z.boolean().nullish(),
  merged_at: z.string().nullish(),
  merged_by: z.object({ login: z.string().min(1) }).nullish(),
  head: z.object({ sha: z.string().min(1), ref: z.string().min(1) }),
  base: z.object({ ref: z.string().min(1) }),
});
/** Parsed {@link GitHubPull}. */
export type GitHubPull = z.infer<typeof GitHubPull>;

/** The answer of `GET /repos/{owner}/{repo}/pulls`. */
export const GitHubPullList = z.array(GitHubPull);

/** GitHub's error body: `{ message, errors?: [{ message?, code?, field? }], documentation_url? }`. */
export const GitHubErrorBody = z.object({
  message: z.string().optional(),
  errors: z
    .array(
      z.union([
        z.object({
          message: z.string().optional(),
          code: z.string().optional(),
          field: z.string().optional(),
          resource: z.string().optional(),
        }),
        z.string(),
      ]),
    )
    .optional(),
});
/** Parsed {@link GitHubErrorBody}. */
export type GitHubErrorBody = z.infer<typeof GitHubErrorBody>;

/** True when the pull request was merged (`merged`, or a `merged_at` time on list items). */
function isMerged(pull: GitHubPull): boolean {
  return pull.merged === true || (pull.merged_at !== undefined && pull.merged_at !== null);
}

/**
 * GitHub's PR state onto the port's status: merged → `merged`, closed → `closed`, open draft → `draft_open`,
 * open ready → `open`.
 */
export function mapGitHubPullStatus(pull: GitHubPull): HostedPullRequest["status"] {
  if (isMerged(pull)) return "merged";
  if (pull.state === "closed") return "closed";
  return pull.draft === true ? "draft_open" : "open";
}

/**
 * A GitHub pull request as the port reports it. `decided_by` is the merger's login for a merged PR; GitHub's
 * pull object does not say who closed one, so a closed PR reads `decided_by: null`.
 */
export function toHostedPullRequest(pull: GitHubPull): HostedPullRequest {
  const status = mapGitHubPullStatus(pull);
  return {
    url: pull.html_url,
    status,
    head_sha: pull.head.sha,
    decided_by: status === "merged" ? (pull.merged_by?.login ?? null) : null,
  };
}

/** The messages inside a GitHub error body: the top message and each `errors[].message`. */
export function errorMessages(body: GitHubErrorBody | undefined): string[] {
  if (!body) return [];
  const inner = (body.errors ?? []).flatMap((e) =>
    typeof e === "string" ? [e] : e.message ? [e.message] : e.code ? [`${e.field ?? "field"} ${e.code}`] : [],
  );
  return [...(body.message ? [body.message] : []), ...inner];
}

/** True when a 422 body says an open PR already exists for the head branch. */
export function isAlreadyExists(body: GitHubErrorBody | undefined): boolean {
  return errorMessages(body).some((m) => /pull request already exists/i.test(m));
}
