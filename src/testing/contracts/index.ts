/**
 * `rungate/testing/contracts`: one contract suite per port, which every adapter, rungate's and yours, must
 * pass. Call one from a vitest file: `describeGitPortContract({ name: "my-git", make })`. This entry imports
 * vitest (`describe`, `it`, `expect`), so load it only from tests.
 *
 * @module rungate/testing/contracts
 */
export {
  type AgentDispatcherContractHarness,
  type AgentDispatcherContractOptions,
  describeAgentDispatcherContract,
} from "./agent-dispatcher.js";
export {
  type CheckRunnerContractHarness,
  type CheckRunnerContractOptions,
  describeCheckRunnerContract,
} from "./check-runner.js";
export { type ClockContractOptions, describeClockContract } from "./clock.js";
export {
  describeGitPortContract,
  type GitPortContractOptions,
  type GitPortHarness,
} from "./git-port.js";
export { describeIdGeneratorContract, type IdGeneratorContractOptions } from "./ids.js";
export { describeProcessSandboxContract, type ProcessSandboxContractOptions } from "./process-sandbox.js";
export {
  contractDraft,
  describePullRequestHostContract,
  FORBIDDEN_HOST_METHOD,
  type PullRequestHostContractHarness,
  type PullRequestHostContractOptions,
} from "./pull-request-host.js";
export { resultMatchers } from "./result-matchers.js";
export {
  describeStoragePortContract,
  type StoragePortContractCapabilities,
  type StoragePortContractOptions,
} from "./storage-port.js";
