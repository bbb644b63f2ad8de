import {
  type ApprovalRequest,
  errAsync,
  type Orchestrator,
  okAsync,
  type ResultAsync,
  type RunPhase,
  rungateError,
  type StoragePort,
} from "../index.js";
import { type CliError, rungateFailure } from "./cli-error.js";

/** Where an approval request was found. */
export interface FoundApproval {
  readonly run_id: string;
  readonly approval: ApprovalRequest;
}

/** Pages through the runs (only those in `phases`, when given) until one holds the approval. */
function search(
  orchestrator: Orchestrator,
  storage: StoragePort,
  approval_id: string,
  phases: readonly RunPhase[] | null,
  cursor: string | null = null,
): ResultAsync<FoundApproval | null, CliError> {
  return orchestrator
    .listRuns({ limit: 100, cursor, ...(phases === null ? {} : { phases: [...phases] }) })
    .mapErr(rungateFailure)
    .andThen((page) => {
      const scan = (i: number): ResultAsync<FoundApproval | null, CliError> => {
        const run = page.runs[i];
        if (run === undefined) {
          return page.next_cursor === null
            ? okAsync(null)
            : search(orchestrator, storage, approval_id, phases, page.next_cursor);
        }
        return storage
          .listApprovals(run.id)
          .mapErr(rungateFailure)
          .andThen((approvals) => {
            const approval = approvals.find((a) => a.id === approval_id);
            return approval === undefined ? scan(i + 1) : okAsync({ run_id: run.id, approval });
          });
      };
      return scan(0);
    });
}

/**
 * The run an approval request belongs to. `rungate approve` takes only the approval id (the one `rungate run`
 * printed), and the store has no index from approvals to runs, so the runs awaiting approval are read first,
 * then every run. Not found anywhere is `not_found`.
 */
export function findApproval(
  orchestrator: Orchestrator,
  storage: StoragePort,
  approval_id: string,
): ResultAsync<FoundApproval, CliError> {
  return search(orchestrator, storage, approval_id, ["awaiting_approval"])
    .andThen((found) => (found === null ? search(orchestrator, storage, approval_id, null) : okAsync(found)))
    .andThen((found) =>
      found === null
        ? errAsync(
            rungateFailure(
              rungateError("not_found", "approval_not_found", {
                entity: "approval request",
                id: approval_id,
              }),
            ),
          )
        : okAsync(found),
    );
}
