import { z } from "zod";
import {
  type ApprovalDecision,
  createOrchestrator,
  type Orchestrator,
  okAsync,
  type ResultAsync,
} from "../../index.js";
import { summariseCards, titleOf } from "../card-summary.js";
import { type CliError, rungateFailure } from "../cli-error.js";
import { findApproval } from "../find-approval.js";
import type { CliIo } from "../io.js";
import { IdArgument, PersonOption, parseOptions, StateDirOption, stateDirFlag } from "../options.js";
import { portsOf, withStateDir } from "../state-dir.js";

/** The input of `rungate approve`. */
export const ApproveInput = z.object({
  approval: IdArgument,
  by: PersonOption,
  notes: z.string().max(10_000).optional(),
  reject: z.boolean().default(false),
  stateDir: StateDirOption,
});
type ApproveInput = z.infer<typeof ApproveInput>;

/**
 * After an approval: the draft PR when the card is now approved (every approval its changes need granted),
 * else the approvals it still waits for.
 */
function afterApproval(
  io: CliIo,
  orchestrator: Orchestrator,
  decided: ApprovalDecision,
  input: ApproveInput,
): ResultAsync<number, CliError> {
  const { assignment } = decided;
  if (assignment.phase !== "approved") {
    return orchestrator
      .getRun(assignment.run_id)
      .mapErr(rungateFailure)
      .map((state) => {
        const card = summariseCards(state).find((c) => c.assignment_id === assignment.id);
        for (const p of card?.pending_approvals ?? []) {
          io.out(`→ still waiting for ${p.type}: rungate approve ${p.id}${stateDirFlag(input.stateDir)}`);
        }
        return 0;
      });
  }
  return orchestrator
    .createPullRequestCandidate({ assignment_id: assignment.id })
    .mapErr(rungateFailure)
    .map((pr) => {
      io.out(`draft pull request for "${titleOf(assignment)}": ${pr.pr_url ?? "(no url)"}`);
      io.out("rungate never merges: review and merge it yourself.");
      return 0;
    });
}

/**
 * `rungate approve <approval>`: records a person's decision on an approval request (`--reject` to refuse it)
 * and, once the card is approved, proposes it as a draft pull request on the local PR host (which pushes its
 * branch to the repository). Prints the PR's url. A decided, stale or unknown approval is refused (exit 1).
 */
export function approveCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return parseOptions(ApproveInput, raw, "approve").asyncAndThen((input) =>
    withStateDir(input.stateDir, { create: false, command: "approve" }, (state) => {
      const orchestrator = createOrchestrator(portsOf(state));
      return findApproval(orchestrator, state.storage, input.approval).andThen((found) =>
        orchestrator
          .recordApprovalDecision({
            run_id: found.run_id,
            approval_id: input.approval,
            decision: input.reject ? "reject" : "approve",
            decided_by: input.by,
            notes: input.notes ?? null,
          })
          .mapErr(rungateFailure)
          .andThen((decided) => {
            const title = titleOf(decided.assignment);
            io.out(
              `${decided.approval.approval_type} ${decided.approval.status} for "${title}" by ${input.by}`,
            );
            return input.reject ? okAsync(0) : afterApproval(io, orchestrator, decided, input);
          }),
      );
    }),
  );
}
