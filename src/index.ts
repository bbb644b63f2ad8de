/**
 * rungate: policy gates for AI coding agents that change real repositories.
 *
 * This entry holds the pure core (schemas, policy validation, path rules, snapshots, lifecycle machines,
 * gates), the orchestrator (`createOrchestrator`), every port type, the system clock and ids, and neverthrow's
 * Result helpers. `rungate/testing` holds fakes and fixtures for unit-testing policies; adapters arrive on
 * their own subpaths.
 *
 * @module rungate
 */

/**
 * neverthrow's Result helpers, re-exported so that adapter authors build their `Result`s with the copy rungate
 * itself uses: nothing more to install, no second copy at another version. A `neverthrow` of your own works
 * too while its major version is rungate's (8).
 */
export {
  type Err,
  err,
  errAsync,
  fromPromise,
  fromSafePromise,
  fromThrowable,
  type Ok,
  ok,
  okAsync,
  Result,
  ResultAsync,
  safeTry,
} from "neverthrow";
export { createRandomIds, createSystemClock } from "./adapters/system/index.js";
export * from "./core/index.js";
export {
  type ApprovalDecision,
  ApprovalDecisionInput,
  type ApprovalRequested,
  type AssignmentChanges,
  type BuildOutcome,
  type CallOptions,
  CancelRunInput,
  type ChecksOutcome,
  type CleanupReport,
  CleanupRunInput,
  type CreatedRun,
  CreateRunRequest,
  createOrchestrator,
  EventsQuery,
  type EvidenceVerification,
  ExportEvidenceInput,
  type Orchestrator,
  OrchestratorOptionsInput,
  type PruneReport,
  PruneWorktreesInput,
  RedispatchInput,
  RetryInput,
  type RunState,
  VerifyEvidenceInput,
} from "./orchestrator/index.js";
export type * from "./ports/index.js";
