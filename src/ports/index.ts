export type {
  AgentDispatcher,
  AgentDispatchOptions,
  AgentDispatchOutcome,
  AgentDispatchRequest,
  AgentProgress,
  AgentProgressItem,
  AgentSandboxPolicy,
} from "./agent-dispatcher.js";
export type {
  CheckPrepareStep,
  CheckRunner,
  CheckRunOptions,
  CheckRunRequest,
  CheckRunResult,
} from "./check-runner.js";
export type { Clock } from "./clock.js";
export type { EventSink } from "./event-sink.js";
export type {
  AgentWorkFinding,
  AgentWorkFindingCode,
  CardWorkspace,
  CheckTreeState,
  FeatureBranch,
  GitClone,
  GitCommit,
  GitPort,
  ImportedWork,
} from "./git-port.js";
export type { IdGenerator } from "./id-generator.js";
export type { PortCallOptions, PortError } from "./port-error.js";
export type { RungatePorts } from "./ports.js";
export type { ProcessSandbox, SandboxedProcessSpec, WrappedProcess } from "./process-sandbox.js";
export {
  COMMIT_STATUS_STATES,
  type CommitStatusInput,
  type DraftPullRequestInput,
  type HostedPullRequest,
  type PullRequestHost,
  type ReviewRequestInput,
} from "./pull-request-host.js";
export type {
  AssignmentLease,
  RunChangeHint,
  RunChangeSubscription,
  RunEventDraft,
  StorageLeases,
  StoragePort,
  StorageRunChanges,
  StorageWrite,
  StorageWriteResult,
  StoredRunState,
  VersionedWrite,
} from "./storage-port.js";
