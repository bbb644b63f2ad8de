/**
 * `rungate/sandbox`: runs agents and checks in a bubblewrap sandbox. Pass it as `sandbox` to
 * `createCommandDispatcher`, `createAgenticFlowDispatcher` or `createProcessCheckRunner`.
 * @module rungate/sandbox
 */
export { BubblewrapSandboxConfig, type BubblewrapSandboxConfigInput } from "./bubblewrap-config.js";
export { type BubblewrapSandbox, createBubblewrapSandbox } from "./bubblewrap-sandbox.js";
