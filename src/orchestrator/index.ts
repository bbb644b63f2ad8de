export { CancelRunInput } from "./cancel-run.js";
export { type CleanupReport, CleanupRunInput, type PruneReport, PruneWorktreesInput } from "./clean-up.js";
export type { AssignmentChanges } from "./collect-changes.js";
export {
  type CallOptions,
  createOrchestrator,
  type Orchestrator,
  OrchestratorOptionsInput,
} from "./create-orchestrator.js";
export { type CreatedRun, CreateRunRequest } from "./create-run.js";
export { EventsQuery } from "./event-stream.js";
export {
  type EvidenceVerification,
  ExportEvidenceInput,
  VerifyEvidenceInput,
} from "./evidence.js";
export type { ChecksOutcome } from "./execute-checks.js";
export type { RunState } from "./load.js";
export { type ApprovalDecision, ApprovalDecisionInput } from "./record-approval-decision.js";
export type { ApprovalRequested } from "./request-approval.js";
export { RedispatchInput, RetryInput } from "./retry.js";
export type { BuildOutcome } from "./trigger-build.js";
