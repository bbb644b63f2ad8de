import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import { MAX_RUN_PAGE_SIZE } from "../core/schemas/run-list.js";
import type { OrchestratorDeps } from "./deps.js";

/** An assignment of another run that uses the same feature branch, with its run. */
export interface BranchHolder {
  readonly run: OrchestrationRun;
  readonly assignment: CardAssignment;
}

/**
 * The assignments of other runs of the project that use `assignment`'s feature branch (for the same card,
 * unless `any_card`), newest run first, each run's in creation order. This is what decides whether a card may
 * be built anew on its branch. The runs come from `listRuns`; their assignments, for one card, from ONE
 * `listCardAssignments` when the store offers it, else (and for `any_card`) from one `listAssignments` per
 * run, which grows with every build of the card.
 */
export function otherBranchHolders(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  /** Look at every run of the project, not only those of the same card (to name an unexpected holder). */
  options: { readonly any_card?: boolean } = {},
): ResultAsync<BranchHolder[], RungateError> {
  const any_card = options.any_card === true;
  const onBranch = (a: CardAssignment) =>
    a.feature_branch === assignment.feature_branch && (any_card || a.card_id === assignment.card_id);
  return safeTry<BranchHolder[], RungateError>(async function* () {
    const others: OrchestrationRun[] = [];
    let cursor: string | null = null;
    do {
      const page: { runs: OrchestrationRun[]; next_cursor: string | null } = yield* deps.storage.listRuns({
        project_id: run.project_id,
        ...(any_card ? {} : { card_id: assignment.card_id }),
        limit: MAX_RUN_PAGE_SIZE,
        cursor,
      });
      others.push(...page.runs.filter((other) => other.id !== run.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    const holders: BranchHolder[] = [];
    // A card's first build has no earlier run to read cards of.
    if (others.length === 0) return ok(holders);
    if (!any_card && deps.storage.listCardAssignments !== undefined) {
      const byRun = new Map<string, CardAssignment[]>();
      for (const a of yield* deps.storage.listCardAssignments(assignment.card_id)) {
        if (!onBranch(a)) continue;
        const ofRun = byRun.get(a.run_id);
        if (ofRun === undefined) byRun.set(a.run_id, [a]);
        else ofRun.push(a);
      }
      for (const other of others) {
        for (const a of byRun.get(other.id) ?? []) holders.push({ run: other, assignment: a });
      }
      return ok(holders);
    }
    for (const other of others) {
      for (const a of yield* deps.storage.listAssignments(other.id)) {
        if (onBranch(a)) holders.push({ run: other, assignment: a });
      }
    }
    return ok(holders);
  });
}

/** How a person ended a pull request: after it, its head on the remote is nobody's live proposal. */
export type DecidedPullRequestStatus = Extract<PullRequestCandidate["status"], "merged" | "closed">;

/** A pull request an earlier run of a card proposed on the card's branch and a person decided. */
export interface EarlierPullRequest {
  readonly holder: BranchHolder;
  readonly pull_request: PullRequestCandidate;
  readonly status: DecidedPullRequestStatus;
  /** The head that run pushed for it. */
  readonly head_sha: string;
}

const isDecided = (status: PullRequestCandidate["status"]): status is DecidedPullRequestStatus =>
  status === "merged" || status === "closed";

/**
 * The newest pull request that an earlier run of `assignment`'s card proposed on the same branch, when a
 * person decided it (merged or closed) and it names its pushed head: that head is what the run left on the
 * remote branch. `null` when no earlier run proposed one, or when the newest one is still undecided (then
 * the remote branch is that proposal's, even if an older PR was decided).
 */
export function decidedEarlierPullRequest(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
): ResultAsync<EarlierPullRequest | null, RungateError> {
  return safeTry<EarlierPullRequest | null, RungateError>(async function* () {
    for (const holder of yield* otherBranchHolders(deps, run, assignment)) {
      const proposed = (yield* deps.storage.listPullRequests(holder.run.id)).findLast(
        (p) => p.assignment_id === holder.assignment.id && p.head_branch === assignment.feature_branch,
      );
      if (proposed === undefined) continue;
      const { status, head_sha } = proposed;
      if (!isDecided(status) || head_sha === null) return ok(null);
      return ok({ holder, pull_request: proposed, status, head_sha });
    }
    return ok(null);
  });
}
