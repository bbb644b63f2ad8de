import type { ResultAsync } from "neverthrow";
import type { RunCheckType } from "../core/schemas/check-type.js";
import type { PortCallOptions, PortError } from "./port-error.js";

/** One check to run on one head, in the assignment's worktree. */
export interface CheckRunRequest {
  readonly run_id: string;
  readonly assignment_id: string;
  readonly check_type: RunCheckType;
  readonly head_sha: string;
  readonly worktree_path: string;
  /**
   * The lowest advisory severity that fails a check (the policy's `security_policy.fail_on_severity`), for
   * runners whose tools filter advisories by severity (`npm audit --audit-level`). Optional: a request without
   * it means the runner's own default.
   */
  readonly fail_on_severity?: "low" | "moderate" | "high" | "critical" | undefined;
}

/** What a check produced. `error` means it could not run at all; neither it nor `skipped` ever passes. */
export interface CheckRunResult {
  readonly status: "passed" | "failed" | "skipped" | "error";
  /** The tail of its output, secrets redacted. */
  readonly output: string | null;
  readonly duration_ms: number;
  /**
   * The prepare step that ran in the check's tree before it (installing dependencies), when the runner has
   * one: the command, how it ended and how long it took. Recorded by the orchestrator as its own event.
   */
  readonly prepare?: CheckPrepareStep;
}

/** One prepare step of a check tree: see {@link CheckRunResult.prepare}. */
export interface CheckPrepareStep {
  /** The command, as one line (`npm ci --prefer-offline ...`). */
  readonly command: string;
  readonly status: "passed" | "failed" | "error";
  readonly duration_ms: number;
}

/** Options of a check run. */
export interface CheckRunOptions extends PortCallOptions {
  readonly timeout_ms?: number;
}

/**
 * Runs automated checks. Implementations: `rungate/checks` (a child process per configured command) and the
 * scripted fake. The `policy` check is rungate's own (the path rules on the real diff) and never reaches a
 * runner. A check that ran and failed is an ok `failed` result; `port_failure` is for the runner itself.
 */
export interface CheckRunner {
  readonly name: string;
  /**
   * Secret values this adapter was given (tokens, passwords, environment values marked secret), so that the
   * orchestrator's one redaction boundary keeps them out of every stored record, event and error. Optional:
   * an adapter given no secret leaves it out.
   */
  readonly secret_values?: readonly string[];
  /** Runs one check on one head; a check that ran and failed is an ok `failed` result. Fails with `cancelled` or `port_failure`. */
  run(request: CheckRunRequest, options?: CheckRunOptions): ResultAsync<CheckRunResult, PortError>;
}
