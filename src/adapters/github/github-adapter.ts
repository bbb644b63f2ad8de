import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { type ZodType, z } from "zod";
import { type FieldIssue, rungateError } from "../../core/errors.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type {
  CommitStatusInput,
  DraftPullRequestInput,
  HostedPullRequest,
  PullRequestHost,
  ReviewRequestInput,
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
  type OctokitRequestOptionsLike,
} from "./github-config.js";
import { createRetryingOctokit } from "./github-octokit.js";
import {
  type GitHubCallContext,
  PORT,
  RETRY_TRACE_KEY,
  RetryTrace,
  toGitHubPortError,
  unexpectedResponse,
} from "./map-github-errors.js";

/** The routes this adapter calls; nothing else is ever sent (no merge, no review, no ready-for-review). */
export const GITHUB_OPERATIONS = {
  create: "POST /repos/{owner}/{repo}/pulls",
  get: "GET /repos/{owner}/{repo}/pulls/{pull_number}",
  list: "GET /repos/{owner}/{repo}/pulls",
  status: "POST /repos/{owner}/{repo}/statuses/{sha}",
  reviewers: "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
  labels: "POST /repos/{owner}/{repo}/issues/{issue_number}/labels",
} as const;

/** GitHub's cap on a commit status description, in characters. */
export const GITHUB_STATUS_DESCRIPTION_LIMIT = 140;

/** The description cut to GitHub's cap with an ellipsis (a status line is a summary; nothing is lost with it). */
function statusDescription(text: string): string {
  const points = [...text];
  return points.length <= GITHUB_STATUS_DESCRIPTION_LIMIT
    ? text
    : `${points.slice(0, GITHUB_STATUS_DESCRIPTION_LIMIT - 1).join("")}…`;
}

const GitHubStatus = z.object({ state: z.string(), context: z.string() });

/** Draft input as the port receives it, checked before anything is sent. */
const DraftInput = z.object({
  base_branch: z.string().min(1),
  head_branch: z.string().min(1),
  head_sha: z.string().min(1),
  title: z.string().min(1),
  body: z.string(),
});

/**
 * The longest title and body GitHub accepts for a pull request, in characters as GitHub counts them (Unicode code
 * points). GitHub answers a longer one with 422 "title is too long (maximum is 256 characters)" / "body is too long
 * (maximum is 65536 characters)"; the adapter refuses it before sending and never truncates it.
 */
export const GITHUB_PULL_REQUEST_LIMITS = { title: 256, body: 65_536 } as const;

const HtmlUrl = z.string().min(1);

/** How long a failed call waits, at most, for `octokit.auth()` to name the token it must redact. */
const AUTH_TOKEN_WAIT_MS = 1_000;

interface Parsed {
  readonly name: string;
  readonly owner: string;
  readonly repo: string;
  readonly octokit: OctokitLike;
  /** The host of the pull requests' `html_url`, lower-case (`github.com`, a GHES host). */
  readonly webHost: string;
  /** True with the token form: rungate's own Octokit reports each call's retries. */
  readonly traced: boolean;
  /**
   * The secrets to redact: the token (and its URL-encoded form). With the `{ octokit }` form it starts empty and
   * receives the token `octokit.auth()` names, as soon as it answers.
   */
  readonly redacted: string[];
  /** The raw tokens, for the orchestrator's redaction (`secret_values`); filled in like {@link redacted}. */
  readonly secrets: string[];
}

function usageError(problem: string): TypeError {
  return new TypeError(`createGitHubPullRequestHost: ${problem}\nUsage: ${GITHUB_CONFIG_USAGE}`);
}

/** Replaces every occurrence of each secret with `[REDACTED]`; reads `secrets` at each call (it may grow). */
function redactor(secrets: readonly string[]): (text: string) => string {
  return (text) =>
    secrets.filter((s) => s.length > 0).reduce((acc, secret) => acc.split(secret).join("[REDACTED]"), text);
}

/** Adds a token to the redaction lists, raw and URL-encoded, once. */
function rememberToken(parsed: Pick<Parsed, "redacted" | "secrets">, token: string): void {
  if (token.length === 0 || parsed.secrets.includes(token)) return;
  parsed.secrets.push(token);
  for (const form of new Set([token, encodeURIComponent(token)])) parsed.redacted.push(form);
}

/**
 * GitHub's web host for an API root: `api.github.com` → `github.com`, `api.<x>` → `<x>` (GHE.com), and the
 * API root's own host otherwise (GHES: `https://<host>/api/v3` → `<host>`).
 */
function webHostOf(apiRoot: string): string {
  const host = URL.canParse(apiRoot) ? new URL(apiRoot).host.toLowerCase() : "api.github.com";
  return host.startsWith("api.") ? host.slice("api.".length) : host;
}

/** The API root a real Octokit was built with (`request.endpoint.DEFAULTS.baseUrl`); undefined for other objects. */
function octokitApiRoot(octokit: OctokitLike): string | undefined {
  const root = (octokit as { request?: { endpoint?: { DEFAULTS?: { baseUrl?: unknown } } } }).request
    ?.endpoint?.DEFAULTS?.baseUrl;
  return typeof root === "string" ? root : undefined;
}

/**
 * Asks your Octokit which token it sends (`await octokit.auth()` answers `{ type: "token", token }` for token
 * auth), so that the adapter can redact it. Best effort: an Octokit without `auth`, an auth strategy that throws or
 * names no token, changes nothing. Never rejects.
 */
function collectAuthToken(octokit: OctokitLike, parsed: Pick<Parsed, "redacted" | "secrets">): Promise<void> {
  const auth = (octokit as { readonly auth?: unknown }).auth;
  if (typeof auth !== "function") return Promise.resolve();
  const ask = auth as (this: unknown) => unknown;
  return Promise.resolve()
    .then(() => ask.call(octokit))
    .then(
      (answer) => {
        const token = (answer as { readonly token?: unknown } | null | undefined)?.token;
        if (typeof token === "string") rememberToken(parsed, token);
      },
      () => undefined,
    );
}

function parseConfig(config: GitHubPullRequestHostConfig): Parsed & { readonly tokensKnown: Promise<void> } {
  if (typeof config !== "object" || config === null) throw usageError("options must be an object.");
  const hasOctokit = "octokit" in config && config.octokit !== undefined;
  const hasToken = "token" in config && config.token !== undefined;
  if (hasOctokit && hasToken) throw usageError('pass either "octokit" or "token", not both.');
  if (!hasOctokit && !hasToken)
    throw usageError('pass "token" (a GitHub token) or "octokit" (your Octokit).');
  if (hasOctokit) {
    const parsed = GitHubOctokitConfig.safeParse(config);
    if (!parsed.success) throw usageError(z.prettifyError(parsed.error));
    const { owner, repo, octokit, name, webHost } = parsed.data;
    const lists = { redacted: [] as string[], secrets: [] as string[] };
    const collected = collectAuthToken(octokit, lists);
    const waited = new Promise<void>((resolve) => {
      setTimeout(resolve, AUTH_TOKEN_WAIT_MS).unref();
    });
    return {
      owner,
      repo,
      octokit,
      name: name ?? "github",
      webHost: (webHost ?? webHostOf(octokitApiRoot(octokit) ?? "https://api.github.com")).toLowerCase(),
      traced: false,
      ...lists,
      tokensKnown: Promise.race([collected, waited]),
    };
  }
  const parsed = GitHubTokenConfig.safeParse(config);
  if (!parsed.success) {
    const token = (config as { token?: unknown }).token;
    throw usageError(redactor(typeof token === "string" ? [token] : [])(z.prettifyError(parsed.error)));
  }
  const { owner, repo, name, token, baseUrl, webHost } = parsed.data;
  const lists = { redacted: [] as string[], secrets: [] as string[] };
  rememberToken(lists, token);
  return {
    owner,
    repo,
    name: name ?? "github",
    octokit: createRetryingOctokit(parsed.data),
    webHost: (webHost ?? webHostOf(baseUrl ?? "https://api.github.com")).toLowerCase(),
    traced: true,
    ...lists,
    tokensKnown: Promise.resolve(),
  };
}

/** `https://<host>/<owner>/<repo>/pull/<n>` → its parts; `null` when the url is not a PR's html_url. */
function parsePullUrl(url: string): { host: string; owner: string; repo: string; number: number } | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  const match = /^\/([^/]+)\/([^/]+)\/pull\/(\d+)\/?$/.exec(parsed.pathname);
  if (!match?.[1] || !match[2] || !match[3]) return null;
  const number = Number(match[3]);
  return Number.isSafeInteger(number) && number > 0
    ? {
        host: parsed.host.toLowerCase(),
        owner: decodeURIComponent(match[1]),
        repo: decodeURIComponent(match[2]),
        number,
      }
    : null;
}

/** How many characters GitHub counts in `text`: Unicode code points (an emoji is one, not two UTF-16 units). */
function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** The title or body GitHub would refuse as too long, one issue per field; empty when both fit. */
function lengthIssues(draft: { readonly title: string; readonly body: string }): FieldIssue[] {
  return (["title", "body"] as const).flatMap((field) => {
    const limit = GITHUB_PULL_REQUEST_LIMITS[field];
    const length = codePointLength(draft[field]);
    return length <= limit
      ? []
      : [
          {
            path: [field],
            code: "too_long",
            message: `GitHub refuses a pull request ${field} longer than ${limit} characters and this one has ${length}; rungate does not shorten what a person approved, so shorten it where it is written and ask again`,
          },
        ];
  });
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
 * - Before sending, a draft whose `head_branch` has the form `owner:branch` (`cross_repository_head`), or whose
 *   title or body is longer than GitHub accepts ({@link GITHUB_PULL_REQUEST_LIMITS}; `github_limit_exceeded`) is a
 *   `validation` error naming the field; nothing is ever truncated.
 * - `getPullRequest(url)` takes the PR's `html_url`; a PR url of another host (see `webHost`) or of another
 *   repository is a `validation` error (`foreign_pull_request_url`) and nothing is sent; a url that is no PR url,
 *   or one GitHub answers 404 for, is `not_found`.
 * - Statuses: merged → `merged` (`decided_by` = the merger's login), closed → `closed` (`decided_by: null`:
 *   GitHub's pull object does not name who closed it), open draft → `draft_open`, open → `open`.
 * - Failures are `port_failure` with `detail.operation` naming the route, a `cause` saying what to do (401 token
 *   invalid or expired; 403 missing scope/permission or rate limit; 404 repository missing or invisible to the
 *   token; 422 GitHub's message and field errors, with the push hint only when they are about the head) and
 *   `retryable` from the status; with the token form, how many retries were made. The token never appears in any
 *   error; with the `{ octokit }` form it is learnt from `octokit.auth()` (best effort) and added to
 *   `secret_values` once known. An aborted signal gives `cancelled`.
 *
 * @param config `{ owner, repo, token, baseUrl?, userAgent?, retries?, maxRetryAfterSeconds?, fetch? }` (rungate
 *   builds Octokit with the retry and throttling plugins), or `{ owner, repo, octokit }` with your own Octokit
 *   (e.g. GitHub App installation auth); both take an optional `name` (default `"github"`) and `webHost` (the
 *   host of the PRs' `html_url`, default derived from the API root).
 * @throws TypeError at construction when the options do not parse, with the correct usage.
 *
 * @example
 * const host = createGitHubPullRequestHost({ owner: "acme", repo: "widgets", token: process.env.GITHUB_TOKEN ?? "" });
 */
export function createGitHubPullRequestHost(config: GitHubPullRequestHostConfig): PullRequestHost {
  const parsed = parseConfig(config);
  const { name, owner, repo, octokit, webHost, traced, secrets, tokensKnown } = parsed;
  const redact = redactor(parsed.redacted);

  const context = (
    operation: string,
    options: PortCallOptions,
    extra: Partial<Pick<GitHubCallContext, "notFoundId" | "draft">> = {},
  ): GitHubCallContext => ({
    adapter: name,
    owner,
    repo,
    operation,
    redact,
    signal: options.signal,
    ...(traced ? { trace: new RetryTrace() } : {}),
    ...extra,
  });

  /** Octokit's per-call `request` options: the signal, and with the token form the call's retry trace. */
  const request = (ctx: GitHubCallContext): { request?: OctokitRequestOptionsLike } => {
    if (ctx.trace === undefined) return ctx.signal ? { request: { signal: ctx.signal } } : {};
    const traced: { readonly signal?: AbortSignal; readonly [RETRY_TRACE_KEY]: RetryTrace } = ctx.signal
      ? { signal: ctx.signal, [RETRY_TRACE_KEY]: ctx.trace }
      : { [RETRY_TRACE_KEY]: ctx.trace };
    return { request: traced };
  };

  /**
   * One Octokit call: foreign throws converted once, the answer validated before use. A failure waits (briefly)
   * until `octokit.auth()` has named the token, so that its message is redacted.
   */
  function call<T>(
    ctx: GitHubCallContext,
    schema: ZodType<T>,
    send: () => Promise<{ readonly data: unknown }>,
  ): ResultAsync<T, PortError> {
    if (ctx.signal?.aborted)
      return errAsync(rungateError("cancelled", "aborted", { operation: ctx.operation }));
    return ResultAsync.fromPromise(Promise.resolve().then(send), (error) => error)
      .orElse((error) =>
        ResultAsync.fromSafePromise(tokensKnown).andThen(() => errAsync(toGitHubPortError(error, ctx))),
      )
      .andThen((response) => {
        const checked = schema.safeParse(response.data);
        return checked.success
          ? okAsync(checked.data)
          : errAsync(unexpectedResponse(ctx, z.prettifyError(checked.error)));
      });
  }

  function findOpenByHead(
    input: DraftPullRequestInput,
    options: PortCallOptions,
  ): ResultAsync<HostedPullRequest, PortError> {
    const head = `${owner}:${input.head_branch}`;
    const ctx = context(GITHUB_OPERATIONS.list, options);
    return call(ctx, GitHubPullList, () =>
      octokit.rest.pulls.list({ owner, repo, head, state: "open", per_page: 100, ...request(ctx) }),
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

  /**
   * The number of a PR url of this repository, or the error: `not_found` for what is not a PR url at all,
   * `validation` (`foreign_pull_request_url`) for a PR of another host, owner or repository.
   */
  function ownPull(url: string): { readonly number: number } | PortError {
    const checked = HtmlUrl.safeParse(url);
    const target = checked.success ? parsePullUrl(checked.data) : null;
    if (!target) {
      return rungateError("not_found", "pull_request_not_found", {
        entity: `pull request of ${owner}/${repo}`,
        id: String(url),
      });
    }
    const ours =
      target.host === webHost &&
      target.owner.toLowerCase() === owner.toLowerCase() &&
      target.repo.toLowerCase() === repo.toLowerCase();
    if (ours) return { number: target.number };
    return rungateError("validation", "foreign_pull_request_url", {
      issues: [
        {
          path: ["url"],
          code: "foreign_pull_request_url",
          message: `the url is a pull request of ${target.host}/${target.owner}/${target.repo}, and this host reads pull requests of ${webHost}/${owner}/${repo} only (set "webHost" if GitHub's web host is not ${webHost})`,
        },
      ],
    });
  }

  /** The draft as it will be sent, or the validation error that keeps it from being sent. */
  function checkDraft(input: DraftPullRequestInput): z.infer<typeof DraftInput> | PortError {
    const shape = DraftInput.safeParse(input);
    if (!shape.success) {
      return rungateError("validation", "invalid_draft_pull_request", {
        issues: shape.error.issues.map((i) => ({
          path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
          code: i.code,
          message: i.message,
        })),
      });
    }
    const draft = shape.data;
    if (draft.head_branch.includes(":")) {
      return rungateError("validation", "cross_repository_head", {
        issues: [
          {
            path: ["head_branch"],
            code: "cross_repository_head",
            message: `"${draft.head_branch}" has the form owner:branch, which GitHub reads as a branch of another repository (a cross-repository pull request); rungate proposes branches of ${owner}/${repo} only, so pass the branch name alone`,
          },
        ],
      });
    }
    const tooLong = lengthIssues(draft);
    if (tooLong.length > 0) return rungateError("validation", "github_limit_exceeded", { issues: tooLong });
    return draft;
  }

  const createCommitStatus = octokit.rest.repos?.createCommitStatus?.bind(octokit.rest.repos);
  /** Publishes a commit status (rungate's check results on the head, for branch protection). */
  function publishCommitStatus(
    input: CommitStatusInput,
    options: PortCallOptions = {},
  ): ResultAsync<void, PortError> {
    const sha = z
      .string()
      .regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/)
      .safeParse(input.head_sha);
    if (!sha.success || createCommitStatus === undefined) {
      return errAsync(
        rungateError("validation", "invalid_commit_status", {
          issues: [
            { path: ["head_sha"], code: "invalid_commit_status", message: "must be a full commit sha" },
          ],
        }),
      );
    }
    const ctx = context(GITHUB_OPERATIONS.status, options);
    return call(ctx, GitHubStatus, () =>
      createCommitStatus({
        owner,
        repo,
        sha: sha.data,
        state: input.state,
        context: input.context,
        description: statusDescription(input.description),
        ...(input.target_url === null ? {} : { target_url: input.target_url }),
        ...request(ctx),
      }),
    ).map(() => undefined);
  }

  const requestReviewers = octokit.rest.pulls.requestReviewers?.bind(octokit.rest.pulls);
  const addLabels = octokit.rest.issues?.addLabels?.bind(octokit.rest.issues);
  /** Asks reviewers and teams for a review of one of this repository's PRs, then labels it. */
  function requestReview(
    input: ReviewRequestInput,
    options: PortCallOptions = {},
  ): ResultAsync<void, PortError> {
    const target = ownPull(input.url);
    if ("kind" in target) return errAsync(target);
    const asking =
      input.reviewers.length + input.team_reviewers.length === 0 || requestReviewers === undefined
        ? okAsync<unknown, PortError>(undefined)
        : (() => {
            const ctx = context(GITHUB_OPERATIONS.reviewers, options, { notFoundId: input.url });
            return call(ctx, z.unknown(), () =>
              requestReviewers({
                owner,
                repo,
                pull_number: target.number,
                reviewers: [...input.reviewers],
                team_reviewers: [...input.team_reviewers],
                ...request(ctx),
              }),
            );
          })();
    return asking.andThen(() => {
      if (input.labels.length === 0 || addLabels === undefined) return okAsync(undefined);
      const ctx = context(GITHUB_OPERATIONS.labels, options, { notFoundId: input.url });
      return call(ctx, z.unknown(), () =>
        addLabels({ owner, repo, issue_number: target.number, labels: [...input.labels], ...request(ctx) }),
      ).map(() => undefined);
    });
  }

  const host: PullRequestHost = {
    name,
    secret_values: secrets,
    ...(requestReviewers === undefined ? {} : { requestReview }),
    ...(createCommitStatus === undefined ? {} : { publishCommitStatus }),
    createDraftPullRequest(input, options = {}) {
      const draft = checkDraft(input);
      if ("kind" in draft) return errAsync(draft);
      const ctx = context(GITHUB_OPERATIONS.create, options, {
        draft: { head: draft.head_branch, base: draft.base_branch },
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
          ...request(ctx),
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
      const target = ownPull(url);
      if ("kind" in target) return errAsync(target);
      const ctx = context(GITHUB_OPERATIONS.get, options, { notFoundId: url });
      return call(ctx, GitHubPullSchema, () =>
        octokit.rest.pulls.get({ owner, repo, pull_number: target.number, ...request(ctx) }),
      ).map(toHostedPullRequest);
    },
  };
  return Object.freeze(host);
}
