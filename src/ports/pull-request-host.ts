import type { ResultAsync } from "neverthrow";
import type { PullRequestStatus } from "../core/schemas/pull-request-candidate.js";
import type { PortCallOptions, PortError } from "./port-error.js";

/** A draft pull request to open for an approved assignment. */
export interface DraftPullRequestInput {
  readonly base_branch: string;
  readonly head_branch: string;
  readonly head_sha: string;
  readonly title: string;
  readonly body: string;
}

/** A pull request as the host reports it. */
export interface HostedPullRequest {
  /** The host's URL (or the fake's name) of the PR; the key to read it back. */
  readonly url: string;
  readonly status: Exclude<PullRequestStatus, "not_created">;
  readonly head_sha: string | null;
  /** Who merged or closed it, when the host says. */
  readonly decided_by: string | null;
}

/** The states of a commit status, as GitHub names them. */
export const COMMIT_STATUS_STATES = ["pending", "success", "failure", "error"] as const;

/**
 * One check's result published on a commit of the host (a GitHub commit status), so that the host's own
 * branch protection can require what rungate requires. `context` is `rungate/<check type>`.
 */
export interface CommitStatusInput {
  readonly head_sha: string;
  readonly context: string;
  readonly state: (typeof COMMIT_STATUS_STATES)[number];
  /** One line; hosts cap it (GitHub: 140 characters), so adapters shorten it with an ellipsis. */
  readonly description: string;
  /** Where a person reads more (the host app's page of the run), or `null`. */
  readonly target_url: string | null;
}

/** Who is asked to review a drafted PR, and the labels it gets. */
export interface ReviewRequestInput {
  /** The PR's url, as `createDraftPullRequest` answered it. */
  readonly url: string;
  /** Host user names (e.g. GitHub logins). */
  readonly reviewers: readonly string[];
  /** Host team names (e.g. GitHub team slugs of the repository's organisation). */
  readonly team_reviewers: readonly string[];
  readonly labels: readonly string[];
}

/**
 * Where pull requests live. Implementations: `rungate/github` (REST), a local host (records on disk) and the
 * in-memory fake. It creates **draft** PRs and reads their state. There is deliberately no merge, approve or
 * ready-for-review method: those are a person's acts, which rungate only observes.
 */
export interface PullRequestHost {
  readonly name: string;
  /**
   * Secret values this adapter was given (tokens, passwords, environment values marked secret), so that the
   * orchestrator's one redaction boundary keeps them out of every stored record, event and error. Optional:
   * an adapter given no secret leaves it out.
   */
  readonly secret_values?: readonly string[];
  /** Opens a draft PR; an existing PR for the same head branch is returned as it is (idempotent). */
  createDraftPullRequest(
    input: DraftPullRequestInput,
    options?: PortCallOptions,
  ): ResultAsync<HostedPullRequest, PortError>;
  /** Reads a PR's current state; `not_found` when the host has no such PR. */
  getPullRequest(url: string, options?: PortCallOptions): ResultAsync<HostedPullRequest, PortError>;
  /**
   * Optional: publishes (or replaces, per `context`) a commit status on `head_sha`. A host without statuses
   * leaves it out; `not_found` when the host does not know the commit (not pushed yet).
   */
  publishCommitStatus?(input: CommitStatusInput, options?: PortCallOptions): ResultAsync<void, PortError>;
  /**
   * Optional: asks people (and teams) to review a drafted PR and labels it, so that an agent's PR does not get
   * lost. Asking is all it does: reviewing and approving on the host stay a person's acts.
   */
  requestReview?(input: ReviewRequestInput, options?: PortCallOptions): ResultAsync<void, PortError>;
}
