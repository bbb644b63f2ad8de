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
import { DEFAULT_RETAIN_ENDED_RUNS } from "./run-retention.js";

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
  /**
   * Every pull request it keeps, in creation order (copies): all but the decided ones it forgot (see the
   * `retain_decided_pull_requests` option of {@link createInMemoryPullRequestHost}).
   */
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
  /** Pull requests by url, in creation order (replacing one keeps its place). */
  readonly prs: Map<string, FakePullRequest>;
  /** Head branch → url of its open (draft or ready) pull request; at most one each. */
  readonly openByHead: Map<string, string>;
  /** How many were ever created: the next number (forgotten ones keep theirs). */
  created: number;
  /** Decided pull requests whose decision was read through `getPullRequest`, oldest read first. */
  readonly settled: Set<string>;
  readonly retain: number;
}

/** The state behind each fake host, reachable only from this module (the person helpers). */
const STATES = new WeakMap<InMemoryPullRequestHost, HostState>();

const OPEN_STATUSES: readonly HostedPullRequest["status"][] = ["draft_open", "open"];

/**
 * Notes that the decision of `pr` was read, and forgets the decided pull requests read longest ago beyond
 * the limit. Only read decisions go: the run of a PR merged or closed but not yet observed has not ended.
 */
function settle(state: HostState, pr: FakePullRequest): void {
  if (OPEN_STATUSES.includes(pr.status) || state.retain === Number.POSITIVE_INFINITY) return;
  state.settled.add(pr.url);
  for (const url of state.settled) {
    if (state.settled.size <= state.retain) break;
    state.settled.delete(url);
    state.prs.delete(url);
  }
}

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
 * (`cancelled`). Bounded: it keeps every open PR, every decided one whose decision was not read yet, and the
 * newest `retain_decided_pull_requests` decided PRs whose decision was read (see that option).
 */
export function createInMemoryPullRequestHost(
  options: {
    readonly name?: string;
    /** How many entries `requests` and `statuses` keep, the newest (default {@link DEFAULT_LOG_LIMIT}). */
    readonly log_limit?: number;
    /**
     * How many decided (merged or closed) pull requests it keeps once `getPullRequest` has read the decision,
     * the newest by that read (default {@link DEFAULT_RETAIN_ENDED_RUNS}, 1,000), so a long-lived host holds
     * bounded memory. A PR is forgotten only after rungate observed how it ended (that read), never while it
     * is open or its decision is unread, whatever its age. A forgotten PR reads as an unknown url
     * (`not_found`), is gone from `pullRequests` and keeps its number (numbers are never reused). At least 1;
     * `Infinity` keeps everything.
     */
    readonly retain_decided_pull_requests?: number;
  } = {},
): InMemoryPullRequestHost {
  const retain = options.retain_decided_pull_requests ?? DEFAULT_RETAIN_ENDED_RUNS;
  if (!(retain >= 1)) throw new RangeError(`retain_decided_pull_requests must be at least 1, got ${retain}`);
  const state: HostState = {
    name: options.name ?? "in-memory-pull-request-host",
    prs: new Map(),
    openByHead: new Map(),
    created: 0,
    settled: new Set(),
    retain,
  };
  const log = new BoundedLog<PullRequestHostRequest>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  const statuses = new BoundedLog<CommitStatusInput>(options.log_limit ?? DEFAULT_LOG_LIMIT);

  const host: InMemoryPullRequestHost = {
    name: state.name,
    get pullRequests() {
      return [...state.prs.values()].map((pr) => ({ ...pr }));
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
      return state.prs.has(input.url) ? okAsync(undefined) : errAsync(notFound(input.url));
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
      const open = state.openByHead.get(input.head_branch);
      const existing = open === undefined ? undefined : state.prs.get(open);
      if (existing) return okAsync(hosted(existing));
      state.created += 1;
      const number = state.created;
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
      state.prs.set(pr.url, pr);
      state.openByHead.set(pr.head_branch, pr.url);
      return okAsync(hosted(pr));
    },
    getPullRequest(url: string, call: PortCallOptions = {}): ResultAsync<HostedPullRequest, PortError> {
      log.push({ operation: "getPullRequest", url });
      if (call.signal?.aborted) return errAsync(cancelled("getPullRequest"));
      const pr = state.prs.get(url);
      if (!pr) return errAsync(notFound(url));
      settle(state, pr);
      return okAsync(hosted(pr));
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
  const pr = state.prs.get(url);
  if (!pr) return err(notFound(url));
  const rule = PERSON_ACTS[act];
  if (!rule.from.includes(pr.status)) {
    return err(rungateError("conflict", `pull_request_${pr.status}`, { entity: "pull request", id: url }));
  }
  const decided = act === "mark_ready" ? pr.decided_by : by;
  const next: FakePullRequest = { ...pr, status: rule.to, decided_by: decided };
  state.prs.set(url, next);
  if (!OPEN_STATUSES.includes(next.status)) state.openByHead.delete(next.head_branch);
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
