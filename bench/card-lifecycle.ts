/**
 * The card lifecycle every benchmark measures, written once: trigger → a user approves → draft PR → a person
 * merges → the merge observed. Throws on any failure (a benchmark that silently measures an error path
 * would measure the wrong thing).
 */
import type { Result } from "neverthrow";
import type { CreateRunRequest, Orchestrator, RungateError } from "../src/index.js";
import { type InMemoryPullRequestHost, mergeAsPerson } from "../src/testing/index.js";

/** The value of a step, or an error naming what failed. */
function must<T>(result: Result<T, RungateError>): T {
  if (result.isOk()) return result.value;
  throw new Error(
    `lifecycle step failed: ${result.error.kind} ${result.error.code}: ${result.error.message}`,
  );
}

/** Runs one lifecycle of `request`'s card on `orchestrator`, merging through the in-memory PR host. */
export async function runCardLifecycle(
  orchestrator: Orchestrator,
  pullRequests: InMemoryPullRequestHost,
  request: CreateRunRequest,
): Promise<void> {
  const built = must(await orchestrator.triggerBuild(request));
  const assignment = built.assignments[0];
  const approval = built.approvals[0];
  if (!assignment || !approval) throw new Error("lifecycle did not reach approval");
  const decision = { run_id: built.run.id, approval_id: approval.id, decision: "approve" as const };
  must(await orchestrator.recordApprovalDecision({ ...decision, decided_by: "alice" }));
  const pr = must(await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id }));
  mergeAsPerson(pullRequests, pr.pr_url ?? "", "bob");
  const observed = must(await orchestrator.observePullRequest({ assignment_id: assignment.id }));
  if (observed.status !== "merged") throw new Error(`the pull request ended ${observed.status}`);
}
