import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from "neverthrow";
import { rungateError } from "../../core/errors.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type {
  CommitStatusInput,
  DraftPullRequestInput,
  HostedPullRequest,
  PullRequestHost,
  ReviewRequestInput,
} from "../../ports/pull-request-host.js";

/** A pull request as the fake stores it: what the host reports plus what it was opened with. */
export interface FakePullRequest extends HostedPullRequest {
  /** 1, 2, 3… in creation order; the url is `https://prs.fake/<number>`. */
  readonly number: number;
  readonly base_branch: string;
  readonly head_branch: string;
  readonly title: string;
  readonly body: string;
}

/** One call the fake received through the port, in call order. */
export type PullRequestHostRequest =
  | { readonly operation: "createDraftPullRequest"; readonly input: DraftPullRequestInput }
  | { readonly operation: "getPullRequest"; readonly url: string }
  | { readonly operation: "publishCommitStatus"; readonly input: CommitStatusInput }
  | { readonly operation: "requestReview"; readonly input: ReviewRequestInput };

/**
 * The in-memory {@link PullRequestHost}: the two port methods plus read-only views for assertions. What a
 * person does on the host (merge, close, mark ready) is NOT on this object, so that it passes the contract's
 * "no merge, approve or ready method" check like every real adapter must; use {@link mergeAsPerson},
 * {@link closeAsPerson} and {@link markReadyAsPerson}.
 */
export interface InMemoryPullRequestHost extends PullRequestHost {
  /** Every pull request, in creation order (copies). */
  readonly pullRequests: readonly FakePullRequest[];
  /** Every port call, in order, the newest `log_limit` (tests assert "one draft PR, never two" with it). */
  readonly requests: readonly PullRequestHostRequest[];
  /**
   * Every commit status published, in order, the newest `log_limit` (the newest per sha and context is the
   * current one).
   */
  readonly statuses: readonly CommitStatusInput[];
  /** The current status per context on `sha`, as a host would show it. */
  currentStatuses(sha: string): Record<string, CommitStatusInput["state"]>;
}

interface HostState {
  readonly name: string;
  readonly prs: FakePullRequest[];
}

/** The state behind each fake host, reachable only from this module (the person helpers). */
const STATES = new WeakMap<InMemoryPullRequestHost, HostState>();

const OPEN_STATUSES: readonly HostedPullRequest["status"][] = ["draft_open", "open"];

function hosted(pr: FakePullRequest): HostedPullRequest {
  return { url: pr.url, status: pr.status, head_sha: pr.head_sha, decided_by: pr.decided_by };
}

function cancelled(operation: string): PortError {
  return rungateError("cancelled", "aborted", { operation });
}

function notFound(url: string): PortError {
  return rungateError("not_found", "pull_request_not_found", { entity: "pull request", id: url });
}

/**
 * An in-memory pull-request host. `createDraftPullRequest` always opens a draft (`draft_open`) at
 * `https://prs.fake/<n>`; while a PR of the same head branch is open (draft or ready) the same PR is returned
 * as it is. `getPullRequest` of an unknown url fails with `not_found`. Both honour an aborted signal
 * (`cancelled`).
 */
export function createInMemoryPullRequestHost(
  options: {
    readonly name?: string;
    /** How many entries `requests` and `statuses` keep, the newest (default {@link DEFAULT_LOG_LIMIT}). */
    readonly log_limit?: number;
  } = {},
): InMemoryPullRequestHost {
  const state: HostState = { name: options.name ?? "in-memory-pull-request-host", prs: [] };
  const log = new BoundedLog<PullRequestHostRequest>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  const statuses = new BoundedLog<CommitStatusInput>(options.log_limit ?? DEFAULT_LOG_LIMIT);

  const host: InMemoryPullRequestHost = {
    name: state.name,
    get pullRequests() {
      return state.prs.map((pr) => ({ ...pr }));
    },
    get requests() {
      return log.entries();
    },
    get statuses() {
      return statuses.entries();
    },
    currentStatuses(sha: string) {
      return Object.fromEntries(
        statuses
          .entries()
          .filter((s) => s.head_sha === sha)
          .map((s) => [s.context, s.state]),
      );
    },
    requestReview(input: ReviewRequestInput, call: PortCallOptions = {}): ResultAsync<void, PortError> {
      log.push({ operation: "requestReview", input: { ...input } });
      if (call.signal?.aborted) return errAsync(cancelled("requestReview"));
      return state.prs.some((p) => p.url === input.url) ? okAsync(undefined) : errAsync(notFound(input.url));
    },
    publishCommitStatus(input: CommitStatusInput, call: PortCallOptions = {}): ResultAsync<void, PortError> {
      log.push({ operation: "publishCommitStatus", input: { ...input } });
      if (call.signal?.aborted) return errAsync(cancelled("publishCommitStatus"));
      statuses.push({ ...input });
      return okAsync(undefined);
    },
    createDraftPullRequest(
      input: DraftPullRequestInput,
      call: PortCallOptions = {},
    ): ResultAsync<HostedPullRequest, PortError> {
      log.push({ operation: "createDraftPullRequest", input: { ...input } });
      if (call.signal?.aborted) return errAsync(cancelled("createDraftPullRequest"));
      const existing = state.prs.find(
        (pr) => pr.head_branch === input.head_branch && OPEN_STATUSES.includes(pr.status),
      );
      if (existing) return okAsync(hosted(existing));
      const number = state.prs.length + 1;
      const pr: FakePullRequest = {
        url: `https://prs.fake/${number}`,
        number,
        status: "draft_open",
        head_sha: input.head_sha,
        decided_by: null,
        base_branch: input.base_branch,
        head_branch: input.head_branch,
        title: input.title,
        body: input.body,
      };
      state.prs.push(pr);
      return okAsync(hosted(pr));
    },
    getPullRequest(url: string, call: PortCallOptions = {}): ResultAsync<HostedPullRequest, PortError> {
      log.push({ operation: "getPullRequest", url });
      if (call.signal?.aborted) return errAsync(cancelled("getPullRequest"));
      const pr = state.prs.find((p) => p.url === url);
      return pr ? okAsync(hosted(pr)) : errAsync(notFound(url));
    },
  };
  STATES.set(host, state);
  return host;
}

type PersonAct = "merge" | "close" | "mark_ready";

/** Which statuses each act of a person may start from, and where it leads. */
const PERSON_ACTS: {
  readonly [A in PersonAct]: {
    readonly from: readonly HostedPullRequest["status"][];
    readonly to: HostedPullRequest["status"];
  };
} = {
  merge: { from: ["draft_open", "open"], to: "merged" },
  close: { from: ["draft_open", "open"], to: "closed" },
  mark_ready: { from: ["draft_open", "open"], to: "open" },
};

function actAsPerson(
  host: InMemoryPullRequestHost,
  act: PersonAct,
  url: string,
  by: string,
): Result<HostedPullRequest, PortError> {
  const state = STATES.get(host);
  if (!state) {
    throw new Error(`${act}AsPerson: the host was not created by createInMemoryPullRequestHost()`);
  }
  const index = state.prs.findIndex((p) => p.url === url);
  const pr = state.prs[index];
  if (!pr) return err(notFound(url));
  const rule = PERSON_ACTS[act];
  if (!rule.from.includes(pr.status)) {
    return err(rungateError("conflict", `pull_request_${pr.status}`, { entity: "pull request", id: url }));
  }
  const decided = act === "mark_ready" ? pr.decided_by : by;
  const next: FakePullRequest = { ...pr, status: rule.to, decided_by: decided };
  state.prs[index] = next;
  return ok(hosted(next));
}

/**
 * A person merges the pull request at `url` on the fake host (rungate never can: the port has no merge).
 * Allowed from `draft_open` and `open` (the fake does not insist on "ready first"); afterwards the PR reads
 * `merged` with `decided_by: by`. `not_found` for an unknown url, `conflict` when already merged or closed.
 */
export function mergeAsPerson(
  host: InMemoryPullRequestHost,
  url: string,
  by: string,
): Result<HostedPullRequest, PortError> {
  return actAsPerson(host, "merge", url, by);
}

/**
 * A person closes the pull request at `url` without merging it; afterwards it reads `closed` with
 * `decided_by: by`. `not_found` for an unknown url, `conflict` when already merged or closed.
 */
export function closeAsPerson(
  host: InMemoryPullRequestHost,
  url: string,
  by: string,
): Result<HostedPullRequest, PortError> {
  return actAsPerson(host, "close", url, by);
}

/**
 * A person marks the draft at `url` ready for review; afterwards it reads `open` (still undecided, so
 * `decided_by` stays `null`; `by` is accepted for symmetry and readability). Marking an open PR ready again
 * is a no-op; `not_found` for an unknown url, `conflict` when already merged or closed.
 */
export function markReadyAsPerson(
  host: InMemoryPullRequestHost,
  url: string,
  by: string,
): Result<HostedPullRequest, PortError> {
  return actAsPerson(host, "mark_ready", url, by);
}
