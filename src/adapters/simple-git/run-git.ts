import { devNull } from "node:os";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { GitError, GitPluginError, type SimpleGitOptions, simpleGit } from "simple-git";
import { unsafeFlagsFor } from "./git-env.js";
import { stripTraceLines, traceEnv } from "./git-trace.js";
import type { GitFailure } from "./map-simple-git-errors.js";

/** One git command: run in `cwd` with `args` (the subcommand first). */
export interface GitCommand {
  /** Working directory (the bare clone, or the clone root for `init`). Must exist. */
  readonly cwd: string;
  /** The subcommand and its arguments, built by the adapter (never caller-controlled options). */
  readonly args: readonly string[];
  /** Extra environment for this command only (credentials). */
  readonly env?: Readonly<Record<string, string>>;
  /** Aborts the command: checked before it starts and passed to simple-git's abort plugin. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The command prints nothing when it succeeds: it runs with `GIT_TRACE=1` so that simple-git does not wait
   * 50 ms for it, and the trace lines are removed from its stderr (see git-trace.ts). Only for commands whose
   * arguments hold no newline.
   */
  readonly silent?: boolean;
}

/** How a command that ran to its end finished: exit 0 or not, with what it printed. */
export interface GitOutcome {
  readonly exit_code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What every command of one adapter shares. */
export interface GitRunnerSettings {
  /** The git executable, `undefined` for `git` on the `PATH`. */
  readonly binary: string | undefined;
  /** simple-git `timeout.block`: kill a command silent for this long. */
  readonly timeout_ms: number;
  /** The base environment (see `baseGitEnv`). */
  readonly env: Readonly<Record<string, string>>;
}

/** Runs one git command; see {@link createGitRunner}. */
export type GitRunner = (command: GitCommand) => ResultAsync<GitOutcome, GitFailure>;

/**
 * `-c` settings on every command; the command line outranks every config file, so these hold even if a
 * repository's config were rewritten between rungate's integrity check and the command (defence in depth:
 * see clone-integrity.ts). Hooks are off (`core.hooksPath` = the null device) and so is every other way a
 * config names a program that git runs by itself: the fsmonitor, credential helpers (an empty value clears
 * the list), the askpass program, and transports (`protocol.allow=never`, then only the plain ones:
 * `ext::` and custom remote helpers stay refused, so an `insteadOf` rewrite cannot reach a program). Paths
 * are printed unquoted in diff headers, and `log` never adds signature output.
 */
const COMMAND_CONFIG = [
  `core.hooksPath=${devNull}`,
  "core.fsmonitor=false",
  "core.untrackedCache=false",
  "credential.helper=",
  "core.askPass=",
  "protocol.allow=never",
  "protocol.file.allow=always",
  "protocol.https.allow=always",
  "protocol.http.allow=always",
  "protocol.ssh.allow=always",
  "protocol.git.allow=always",
  "core.quotePath=false",
  "log.showSignature=false",
];

/** Marks the error {@link createGitRunner}'s `errors` hook builds for a non-zero exit. */
const EXIT = Symbol("rungate.git.exit");

interface ExitCarrier {
  readonly [EXIT]: GitOutcome;
}

function exitOf(thrown: unknown): GitOutcome | undefined {
  return typeof thrown === "object" && thrown !== null && EXIT in thrown
    ? (thrown as ExitCarrier)[EXIT]
    : undefined;
}

/**
 * A failure thrown by simple-git as {@link GitFailure}: the adapter's exit marker, simple-git's plugin errors
 * (`abort`, `timeout`, `unsafe`), anything else as a spawn failure. Converted once, here.
 */
export function toGitFailure(thrown: unknown, operation: string, timeout_ms: number): GitFailure {
  const exit = exitOf(thrown);
  if (exit !== undefined) return { type: "exit", operation, ...exit };
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (thrown instanceof GitPluginError) {
    if (thrown.plugin === "abort") return { type: "aborted", operation };
    if (thrown.plugin === "timeout") return { type: "timeout", operation, timeout_ms };
    if (thrown.plugin === "unsafe") return { type: "blocked", operation, message };
  }
  return { type: "spawn", operation, message };
}

/**
 * A {@link GitRunner} over simple-git 3: one simple-git instance per command (so each gets its own abort
 * signal), `git.raw(args)` with untrimmed output, the `timeout` plugin, and an `errors` hook that turns every
 * non-zero exit into data (simple-git alone treats a non-zero exit with an empty stderr as success, which
 * would hide `rev-parse --verify --quiet` and `merge-base --is-ancestor` answers). A non-zero exit resolves
 * ok with its {@link GitOutcome}; an abort, a timeout, a refused command line or a failed spawn is an error.
 */
export function createGitRunner(settings: GitRunnerSettings): GitRunner {
  return (command) => {
    // The subcommand names the operation, past any `-c key=value` in front of it.
    const operation = command.args.find((a, i) => a !== "-c" && command.args[i - 1] !== "-c") ?? "git";
    if (command.signal?.aborted) return errAsync({ type: "aborted", operation });
    const merged = { ...settings.env, ...command.env };
    const env = command.silent === true ? { ...merged, ...traceEnv(merged) } : merged;
    const stderrOf = (chunks: Buffer[]) => {
      const stderr = Buffer.concat(chunks).toString("utf8");
      return command.silent === true ? stripTraceLines(stderr) : stderr;
    };
    const signal = command.signal;
    const options: Partial<SimpleGitOptions> = {
      baseDir: command.cwd,
      maxConcurrentProcesses: 1,
      trimmed: false,
      config: COMMAND_CONFIG,
      timeout: { block: settings.timeout_ms },
      unsafe: unsafeFlagsFor(env),
      errors(error, result) {
        if (signal?.aborted) return new GitPluginError(undefined, "abort", "Abort signal received");
        if (error instanceof GitPluginError) return error;
        if (result.exitCode === 0 && error === undefined) return undefined;
        const outcome: GitOutcome = {
          exit_code: typeof result.exitCode === "number" ? result.exitCode : -1,
          stdout: Buffer.concat(result.stdOut).toString("utf8"),
          stderr: stderrOf(result.stdErr),
        };
        // A GitError, so that simple-git passes it through unchanged instead of wrapping it.
        return Object.assign(new GitError(undefined, outcome.stderr), { [EXIT]: outcome });
      },
      ...(settings.binary === undefined ? {} : { binary: settings.binary }),
      ...(signal === undefined ? {} : { abort: signal }),
    };
    let run: Promise<string>;
    try {
      run = simpleGit(options)
        .env(env)
        .raw([...command.args]);
    } catch (thrown) {
      return errAsync(toGitFailure(thrown, operation, settings.timeout_ms));
    }
    return ResultAsync.fromPromise(run, (thrown) => toGitFailure(thrown, operation, settings.timeout_ms))
      .map((stdout): GitOutcome => ({ exit_code: 0, stdout, stderr: "" }))
      .orElse((failure) =>
        failure.type === "exit"
          ? okAsync<GitOutcome, GitFailure>({
              exit_code: failure.exit_code,
              stdout: failure.stdout,
              stderr: failure.stderr,
            })
          : errAsync(failure),
      );
  };
}
