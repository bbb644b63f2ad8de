import type { Result } from "neverthrow";
import type { PortError } from "./port-error.js";

/** A process about to be started, as a sandbox needs to know it. */
export interface SandboxedProcessSpec {
  /** Program and arguments (an absolute program path where the caller knows it). */
  readonly argv: readonly string[];
  /** Working directory; it is always writable inside the sandbox. */
  readonly cwd: string;
  /** Directories the process may write besides `cwd` (e.g. none for an agent: its worktree is `cwd`). */
  readonly writable: readonly string[];
  /** Paths it must be able to read that a sandbox may hide (e.g. the agent's context file's directory). */
  readonly readable: readonly string[];
}

/** What to spawn instead: the sandbox's launcher with the process inside it. */
export interface WrappedProcess {
  readonly argv: readonly string[];
}

/**
 * Runs processes a process adapter starts (an agent, a check) in a sandbox. Implementations:
 * `rungate/sandbox` (bubblewrap on Linux). A sandbox that cannot run answers an error from {@link wrap}
 * (`port_failure`, code `sandbox_unavailable`): the process is then never started, never started
 * unsandboxed. The caller keeps the process's environment as it built it (no host variables), and ends the
 * process as usual; the sandbox makes sure nothing it started outlives it.
 */
export interface ProcessSandbox {
  readonly name: string;
  /** The argv that runs `spec` inside the sandbox, or why it cannot. */
  wrap(spec: SandboxedProcessSpec): Result<WrappedProcess, PortError>;
}
