// script-checks.ts
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  type CheckRunner,
  type CheckRunResult,
  errAsync,
  okAsync,
  type PortError,
  ResultAsync,
  rungateError,
} from "rungate";

/** Options of {@link createScriptCheckRunner}. */
export interface ScriptCheckRunnerConfig {
  /** The runner's name in errors and events (default `"script-checks"`). */
  readonly name?: string;
  /** Longest a script may run, in ms (default 10 minutes); a call's `timeout_ms` can shorten it. */
  readonly timeout_ms?: number;
}

/** Runs `checks/<check type>.sh` of the tree under check: exit code 0 passes, any other exit fails. */
export function createScriptCheckRunner(config: ScriptCheckRunnerConfig = {}): CheckRunner {
  const name = config.name ?? "script-checks";
  const cancelled = (): PortError => rungateError("cancelled", "cancelled", { operation: `${name}.run` });
  const failure = (cause: unknown): PortError =>
    rungateError("port_failure", "script_failed", {
      port: "CheckRunner",
      adapter: name,
      operation: "run",
      retryable: false,
      cause: cause instanceof Error ? cause.message : String(cause),
    });

  return {
    name,
    run(request, options = {}) {
      const { signal } = options;
      if (signal?.aborted) return errAsync(cancelled());
      const script = join(request.worktree_path, "checks", `${request.check_type}.sh`);
      if (!existsSync(script)) {
        const skipped: CheckRunResult = { status: "skipped", output: `no ${script}`, duration_ms: 0 };
        return okAsync(skipped);
      }
      const timeout = Math.min(options.timeout_ms ?? Infinity, config.timeout_ms ?? 600_000);
      const started = Date.now();
      const ran = new Promise<CheckRunResult>((resolve, reject) => {
        execFile(
          "/bin/sh",
          [script],
          { cwd: request.worktree_path, timeout, maxBuffer: 16 * 1024 * 1024, ...(signal ? { signal } : {}) },
          (error, stdout, stderr) => {
            const output = `${stdout}${stderr}`.slice(-64 * 1024) || null;
            const duration_ms = Date.now() - started;
            if (error === null) resolve({ status: "passed", output, duration_ms });
            else if (signal?.aborted) reject(error);
            else if (typeof error.code === "number" || error.killed)
              resolve({ status: "failed", output, duration_ms }); // a non-zero exit, or out of time
            else reject(error); // /bin/sh could not start
          },
        );
      });
      return ResultAsync.fromPromise(ran, (e) => (signal?.aborted ? cancelled() : failure(e)));
    },
  };
}
