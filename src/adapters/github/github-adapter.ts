import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type ZodType, z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type {
  DraftPullRequestInput,
  HostedPullRequest,
  PullRequestHost,
} from "../../ports/pull-request-host.js";
import {
  type GitHubPull,
  GitHubPullList,
  GitHubPull as GitHubPullSchema,
  toHostedPullRequest,
} from "./github-api.js";
import {
  GITHUB_CONFIG_USAGE,
  GitHubOctokitConfig,
  type GitHubPullRequestHostConfig,
  GitHubTokenConfig,
  type OctokitLike,
} from "./github-config.js";
import { createRetryingOctokit } from "./github-octokit.js";
import { type GitHubCallContext, PORT, toGitHubPortError, unexpectedResponse } from "./map-github-errors.js";

/** The routes this adapter calls; nothing else is ever sent (no merge, no review, no ready-for-review). */
export const GITHUB_OPERATIONS = {
  create: "POST /repos/{owner}/{repo}/pulls",
  get: "GET /repos/{owner}/{repo}/pulls/{pull_number}",
  list: "GET /repos/{owner}/{repo}/pulls",
} as const;

/** Draft input as the port receives it, checked before anything is sent. */
const DraftInput = z.object({
  base_branch: z.string().min(1),
  head_branch: z.string().min(1),
  head_sha: z.string().min(1),
  title: z.string().min(1),
  body: z.string(),
});

const HtmlUrl = z.string().min(1);

interface Parsed {
  readonly name: string;
  readonly owner: string;
  readonly repo: string;
  readonly octokit: OctokitLike;
  readonly redact: (text: string) => string;
  /** The token, for the orchestrator's redaction (none with the `{ octokit }` form). */
  readonly secrets: readonly string[];
}

function usageError(problem: string): TypeError {
  return new TypeError(`createGitHubPullRequestHost: ${problem}\nUsage: ${GITHUB_CONFIG_USAGE}`);
}

/** Replaces every occurrence of each secret with `[REDACTED]`. */
function redactor(secrets: readonly string[]): (text: string) => string {
  const live = secrets.filter((s) => s.length > 0);
  return (text) => live.reduce((acc, secret) => acc.split(secret).join("[REDACTED]"), text);
}

function parseConfig(config: GitHubPullRequestHostConfig): Parsed {
  if (typeof config !== "object" || config === null) throw usageError("options must be an object.");
  const hasOctokit = "octokit" in config && config.octokit !== undefined;
  const hasToken = "token" in config && config.token !== undefined;
  if (hasOctokit && hasToken) throw usageError('pass either "octokit" or "token", not both.');
  if (!hasOctokit && !hasToken)
    throw usageError('pass "token" (a GitHub token) or "octokit" (your Octokit).');
  if (hasOctokit) {
    const parsed = GitHubOctokitConfig.safeParse(config);
    if (!parsed.success) throw usageError(z.prettifyError(parsed.error));
    const { owner, repo, octokit, name } = parsed.data;
    return { owner, repo, octokit, name: name ?? "github", redact: redactor([]), secrets: [] };
  }
  const parsed = GitHubTokenConfig.safeParse(config);
  if (!parsed.success) {
    const token = (config as { token?: unknown }).token;
    throw usageError(redactor(typeof token === "string" ? [token] : [])(z.prettifyError(parsed.error)));
  }
  const { owner, repo, name, token } = parsed.data;
  return {
    owner,
    repo,
    name: name ?? "github",
    octokit: createRetryingOctokit(parsed.data),
    redact: redactor([token, encodeURIComponent(token)]),
    secrets: [token],
  };
}

/** `https://<host>/<owner>/<repo>/pull/<n>` → its parts; `null` when the url is not a PR's html_url. */
function parsePullUrl(url: string): { owner: string; repo: string; number: number } | null {
  if (!URL.canParse(url)) return null;
  const match = /\/([^/]+)\/([^/]+)\/pull\/(\d+)\/?$/.exec(new URL(url).pathname);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const number = Number(match[3]);
  return Number.isSafeInteger(number) && number > 0
    ? { owner: decodeURIComponent(match[1]), repo: decodeURIComponent(match[2]), number }
    : null;
}

/**
 * A {@link PullRequestHost} over the GitHub REST API. It only ever sends `POST /repos/{owner}/{repo}/pulls`
 * (always with `draft: true`) and two reads (`GET …/pulls/{pull_number}`, `GET …/pulls?head=…&state=open`):
 * it has no way to merge, approve or mark a PR ready for review; a person does that on GitHub and
 * `getPullRequest` observes it.
 *
 * - `createDraftPullRequest` opens a draft from `head_branch` into `base_branch`. When GitHub answers 422 "A pull
 *   request already exists for owner:branch", the open PR of that head branch is looked up and returned as it is
 *   (idempotent, also after a person marked it ready).
 * - `getPullRequest(url)` takes the PR's `html_url`; a url of another repository, or one GitHub answers 404
 *   for, is `not_found`.
 * - Statuses: merged → `merged` (`decided_by` = the merger's login), closed → `closed` (`decided_by: null`:
 *   GitHub's pull object does not name who closed it), open draft → `draft_open`, open → `open`.
 * - Failures are `port_failure` with `detail.operation` naming the route, a `cause` saying what to do (401 token
 *   invalid or expired; 403 missing scope/permission or rate limit; 404 repository missing or invisible to the
 *   token; 422 GitHub's validation message) and `retryable` from the status. The token never appears in any
 *   error. An aborted signal gives `cancelled`.
 *
 * @param config `{ owner, repo, token, baseUrl?, userAgent?, retries?, maxRetryAfterSeconds?, fetch? }` (rungate
 *   builds Octokit with the retry and throttling plugins), or `{ owner, repo, octokit }` with your own Octokit
 *   (e.g. GitHub App installation auth); both take an optional `name` (default `"github"`).
 * @throws TypeError at construction when the options do not parse, with the correct usage.
 *
 * @example
 * const host = createGitHubPullRequestHost({ owner: "acme", repo: "widgets", token: process.env.GITHUB_TOKEN ?? "" });
 */
export function createGitHubPullRequestHost(config: GitHubPullRequestHostConfig): PullRequestHost {
  const { name, owner, repo, octokit, redact, secrets } = parseConfig(config);

  const context = (
    operation: string,
    options: PortCallOptions,
    extra: Partial<Pick<GitHubCallContext, "notFoundId" | "validationHint">> = {},
  ): GitHubCallContext => ({
    adapter: name,
    owner,
    repo,
    operation,
    redact,
    signal: options.signal,
    ...extra,
  });

  const request = (options: PortCallOptions) =>
    options.signal ? { request: { signal: options.signal } } : {};

  /** One Octokit call: foreign throws converted once, the answer validated before use. */
  function call<T>(
    ctx: GitHubCallContext,
    schema: ZodType<T>,
    send: () => Promise<{ readonly data: unknown }>,
  ): ResultAsync<T, PortError> {
    if (ctx.signal?.aborted)
      return errAsync(rungateError("cancelled", "aborted", { operation: ctx.operation }));
    return ResultAsync.fromPromise(Promise.resolve().then(send), (error) =>
      toGitHubPortError(error, ctx),
    ).andThen((response) => {
      const parsed = schema.safeParse(response.data);
      return parsed.success
        ? okAsync(parsed.data)
        : errAsync(unexpectedResponse(ctx, z.prettifyError(parsed.error)));
    });
  }

  function findOpenByHead(
    input: DraftPullRequestInput,
    options: PortCallOptions,
  ): ResultAsync<HostedPullRequest, PortError> {
    const head = input.head_branch.includes(":") ? input.head_branch : `${owner}:${input.head_branch}`;
    const ctx = context(GITHUB_OPERATIONS.list, options);
    return call(ctx, GitHubPullList, () =>
      octokit.rest.pulls.list({ owner, repo, head, state: "open", per_page: 100, ...request(options) }),
    ).andThen((pulls) => {
      const existing: GitHubPull | undefined =
        pulls.find((p) => p.base.ref === input.base_branch) ?? pulls[0];
      if (existing) return okAsync(toHostedPullRequest(existing));
      return errAsync(
        rungateError("port_failure", "github_existing_pull_request_not_found", {
          port: PORT,
          adapter: name,
          operation: GITHUB_OPERATIONS.list,
          retryable: true,
          cause: redact(
            `GitHub says a pull request already exists for ${head}, but lists no open one for it (it may have been closed a moment ago); retry.`,
          ),
        }),
      );
    });
  }

  const host: PullRequestHost = {
    name,
    secret_values: secrets,
    createDraftPullRequest(input, options = {}) {
      const parsed = DraftInput.safeParse(input);
      if (!parsed.success) {
        return errAsync(
          rungateError("validation", "invalid_draft_pull_request", {
            issues: parsed.error.issues.map((i) => ({
              path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
              code: i.code,
              message: i.message,
            })),
          }),
        );
      }
      const draft = parsed.data;
      const ctx = context(GITHUB_OPERATIONS.create, options, {
        validationHint: `Check that the head branch "${draft.head_branch}" is pushed to ${owner}/${repo}, has commits that "${draft.base_branch}" lacks, and that the base branch exists (draft pull requests also need a plan that offers them).`,
      });
      return call(ctx, GitHubPullSchema, () =>
        octokit.rest.pulls.create({
          owner,
          repo,
          title: draft.title,
          head: draft.head_branch,
          base: draft.base_branch,
          body: draft.body,
          draft: true,
          ...request(options),
        }),
      )
        .map(toHostedPullRequest)
        .orElse((error) =>
          error.kind === "port_failure" && error.code === "github_already_exists"
            ? findOpenByHead(draft, options)
            : errAsync(error),
        );
    },
    getPullRequest(url, options = {}) {
      const checked = HtmlUrl.safeParse(url);
      const target = checked.success ? parsePullUrl(checked.data) : null;
      const sameRepo =
        target !== null &&
        target.owner.toLowerCase() === owner.toLowerCase() &&
        target.repo.toLowerCase() === repo.toLowerCase();
      if (!target || !sameRepo) {
        return errAsync(
          rungateError("not_found", "pull_request_not_found", {
            entity: `pull request of ${owner}/${repo}`,
            id: String(url),
          }),
        );
      }
      const ctx = context(GITHUB_OPERATIONS.get, options, { notFoundId: url });
      return call(ctx, GitHubPullSchema, () =>
        octokit.rest.pulls.get({ owner, repo, pull_number: target.number, ...request(options) }),
      ).map(toHostedPullRequest);
    },
  };
  return Object.freeze(host);
}
