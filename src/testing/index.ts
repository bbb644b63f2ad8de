/**
 * `rungate/testing`: unit-test your policies in milliseconds. In-memory ports that model the real semantics
 * (`createInMemoryPorts`) and fixtures. Importing it loads no test framework; the adapter contract suites,
 * which need vitest, live in `rungate/testing/contracts`.
 *
 * @module rungate/testing
 */

export { DEFAULT_LOG_LIMIT } from "../internal/bounded/bounded-log.js";
export {
  type CollectingEventSink,
  type CollectingEventSinkOptions,
  createCollectingEventSink,
} from "./fakes/collecting-event-sink.js";
export {
  createInMemoryGit,
  type InMemoryCommitInput,
  type InMemoryForgetInput,
  type InMemoryGit,
  type InMemoryGitOperation,
  type InMemoryGitOptions,
  type InMemoryRemoteOptions,
} from "./fakes/in-memory-git.js";
export {
  closeAsPerson,
  createInMemoryPullRequestHost,
  type FakePullRequest,
  type InMemoryPullRequestHost,
  markReadyAsPerson,
  mergeAsPerson,
  type PullRequestHostRequest,
} from "./fakes/in-memory-pull-request-host.js";
export {
  createInMemoryStorage,
  type InMemoryStorage,
  type InMemoryStorageOptions,
  type InMemoryStorageSnapshot,
  type StorageOperation,
} from "./fakes/in-memory-storage.js";
export { createRecordingSandbox, type RecordingSandbox } from "./fakes/recording-sandbox.js";
export { DEFAULT_RETAIN_ENDED_RUNS, type ForgottenRun } from "./fakes/run-retention.js";
export {
  type AgentScript,
  type AgentScriptCommit,
  type AgentScriptStep,
  type AgentSelfReport,
  createScriptedAgent,
  defaultAgentFile,
  type ScriptedAgent,
  type ScriptedDispatch,
} from "./fakes/scripted-agent.js";
export {
  type CheckRunnerScript,
  createScriptedCheckRunner,
  type ScriptedCheckEntry,
  type ScriptedCheckOutcome,
  type ScriptedCheckRun,
  type ScriptedCheckRunner,
  type ScriptedCheckRunnerOptions,
} from "./fakes/scripted-check-runner.js";
export {
  createSequentialIds,
  type SequentialIds,
  type SequentialIdsOptions,
} from "./fakes/sequential-ids.js";
export {
  createSimulatedClock,
  type SimulatedClock,
  type SimulatedClockOptions,
} from "./fakes/simulated-clock.js";
export { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "./fixtures.js";
export {
  createInMemoryPorts,
  FIXTURE_REPO_URL,
  type InMemoryPorts,
  type InMemoryPortsOptions,
} from "./in-memory-ports.js";
export {
  describeForTest,
  type ExpectedError,
  expectErr,
  expectOk,
  ResultExpectationError,
} from "./result-expectations.js";
