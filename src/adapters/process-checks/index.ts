/**
 * `rungate/checks`: a {@link rungate!CheckRunner | CheckRunner} that runs one command per check type as a
 * child process in the assignment's worktree (execa 9), with time limits, whole-process-group kills, a
 * bounded output tail and secret redaction.
 *
 * @module rungate/checks
 */
export { NPM_PRESET_COMMANDS, type NpmPresetOverrides, npmPreset } from "./npm-preset.js";
export {
  detectPreparePreset,
  PREPARE_PRESETS,
  type PreparePreset,
  packageCacheEnv,
} from "./prepare-presets.js";
export { createProcessCheckRunner } from "./process-checks-adapter.js";
export {
  CheckCommandConfig,
  type CheckCommandConfigInput,
  CONFIGURABLE_CHECK_TYPES,
  type ConfigurableCheckType,
  DEFAULT_CHECK_CONCURRENCY,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_OUTPUT_CAP_BYTES,
  PrepareConfig,
  ProcessCheckRunnerConfig,
  type ProcessCheckRunnerConfigInput,
} from "./process-checks-config.js";
