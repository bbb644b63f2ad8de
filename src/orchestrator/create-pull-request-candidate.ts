import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import { canCreatePullRequest } from "../core/gates/pull-request-gate.js";
import { featureBranchProblem } from "../core/policy/branch-names.js";
import { buildEvidence, renderEvidenceBlock } from "../core/pull-request/evidence.js";
import { pullRequestTitle, renderPullRequestBody } from "../core/pull-request/pull-request-body.js";
import type { PullRequestCandidate } from "../core/schemas/pull-request-candidate.js";
import { readChanges } from "./collect-changes.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadCard } from "./load.js";
import { observeHead } from "./observe-head.js";
import { eventDraft, systemActor } from "./persist.js";
import { publishCheckStatuses } from "./publish-statuses.js";
import { pushCardHead } from "./push-card-head.js";
import { requestPullRequestReview } from "./request-review.js";
import { advanceRun, applyAssignmentEventStored } from "./transitions.js";

/**
 * Proposes an approved assignment as a **draft** pull request, only through the pull-request gate: every
 * approval its changes need must be granted by a person for the current head, or this fails with
 * `gate_closed` and does nothing. Pushes the feature branch, asks the PR host for a draft (hosts return the
 * existing one for the same branch), and stores the `PullRequestCandidate` with the move to `pr_open`.
 * Nothing here, or anywhere in rungate, merges: a person does, and `observePullRequest` records it.
 */
export function createPullRequestCandidate(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  signal?: AbortSignal,
): ResultAsync<PullRequestCandidate, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  return safeTry<PullRequestCandidate, RungateError>(async function* () {
    const loaded = yield* loadCard(deps, input.assignment_id);
    const { run, policy } = loaded;
    const assignment = yield* observeHead(deps, run, loaded.assignment, signal);
    const existing = (yield* loaded.pull_requests()).findLast((p) => p.assignment_id === assignment.id);
    if (assignment.phase === "pr_open" && existing !== undefined) {
      // Already drafted (a retry): make sure the run caught up, then answer with the stored candidate.
      yield* advanceRun(deps, run.id, systemActor(deps));
      return ok(existing);
    }
    const head = assignment.head_sha;
    const approvals = yield* loaded.approvals();
    if (head === null)
      return errAsync(
        rungateError("gate_closed", "pull_request_gate_closed", {
          gate: "create_pull_request",
          reasons: [
            { code: "no_head", subject: assignment.id, message: "the assignment has no commit to propose" },
          ],
        }),
      );
    const changes = yield* readChanges(deps, run, assignment, policy, head, signal);
    yield* canCreatePullRequest(assignment, approvals, policy, {
      ...changes,
      initiated_by: run.initiated_by,
    });
    // Validation refused such a branch when the run was made; this holds for runs stored before that rule
    // and for any record written around it: the push can never target a branch only a person may move.
    const protectedHead = featureBranchProblem(
      assignment.feature_branch,
      run.base_branch,
      policy.protected_branches,
    );
    if (protectedHead !== null) {
      return errAsync(
        rungateError("gate_closed", "pull_request_gate_closed", {
          gate: "create_pull_request",
          reasons: [
            {
              code: "head_branch_protected",
              subject: assignment.feature_branch,
              message: `the card's branch "${assignment.feature_branch}" is ${protectedHead.code === "branch_not_plain" ? "not a plain branch name" : protectedHead.code === "feature_branch_is_base" ? "the base branch" : `protected ("${protectedHead.rule}")`}: rungate never pushes it`,
            },
          ],
        }),
      );
    }
    const checks = yield* loaded.checks();
    // The approved head, by sha: what the checks and the person saw, whatever the clone's branch says now.
    yield* pushCardHead(deps, run, assignment, head, opts);
    // What leaves for the PR host passes the same redaction as what is stored.
    const title = deps.redactor.redactText(pullRequestTitle({ assignment }));
    const described = deps.redactor.redactText(
      renderPullRequestBody({ run, assignment, checks, approvals, files: changes.files }),
    );
    // The evidence ends the body: what was decided, verifiable later against storage (verifyEvidence).
    const body = `${described}${renderEvidenceBlock(
      buildEvidence({ run, assignment, checks, approvals, body: described }),
    )}`;
    const hosted = yield* deps.pullRequests.createDraftPullRequest(
      { base_branch: run.base_branch, head_branch: assignment.feature_branch, head_sha: head, title, body },
      opts,
    );
    const now = deps.clock.now();
    const candidate: PullRequestCandidate = {
      id: deps.ids.next(),
      run_id: run.id,
      assignment_id: assignment.id,
      base_branch: run.base_branch,
      head_branch: assignment.feature_branch,
      title,
      description: body,
      status: hosted.status,
      pr_url: hosted.url,
      head_sha: head,
      created_at: now,
      updated_at: now,
      version: 0,
    };
    const written = yield* applyAssignmentEventStored(
      deps,
      run,
      assignment,
      {
        type: "pr_created",
        approvals,
        policy,
        protected_paths: changes.protected_paths,
        files: changes.files,
        initiated_by: run.initiated_by,
      },
      systemActor(deps),
      {
        idempotency_key: `pull_request:${assignment.id}:${head}`,
        pull_requests: [{ record: candidate, expected_version: null }],
        events: [
          eventDraft(deps, run, "pull_request.drafted", systemActor(deps), {
            assignment_id: assignment.id,
            pull_request_id: candidate.id,
            pr_url: hosted.url,
            host: deps.pullRequests.name,
            head_sha: head,
            status: hosted.status,
          }),
        ],
      },
      loaded.state,
    );
    // The head is on the host now: its checks are mirrored there, for the host's own branch protection.
    yield* publishCheckStatuses(deps, run, assignment, head, checks);
    yield* requestPullRequestReview(deps, run, assignment, policy, approvals, hosted.url);
    if (!written.advanced) yield* advanceRun(deps, run.id, systemActor(deps));
    // As stored (what the write answered; a replayed write answers the first one's).
    const stored = written.stored.pull_requests.findLast((p) => p.assignment_id === assignment.id);
    return ok(stored ?? candidate);
  });
}
