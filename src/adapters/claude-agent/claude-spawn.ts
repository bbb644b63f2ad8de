import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, isAbsolute, relative } from "node:path";
import { err, ok, type Result } from "neverthrow";
import { dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import { signalGroup, trackGroup, untrackGroup } from "../../internal/child-process/run-process.js";
import type { PortError } from "../../ports/port-error.js";
import type { ProcessSandbox } from "../../ports/process-sandbox.js";
import type { GitDirs } from "./git-files.js";

/** How the SDK asks for the Claude Code process (its `SpawnOptions`, as far as the dispatcher uses them). */
export interface ClaudeSpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The paths a sandbox must open for Claude Code, besides its working directory. */
export interface ClaudeSandboxPaths {
  readonly writable: readonly string[];
  readonly readable: readonly string[];
}

/** Starts Claude Code for the SDK (`spawnClaudeCodeProcess`) and keeps hold of its process group. */
export interface ClaudeSpawner {
  /** The SDK's `spawnClaudeCodeProcess`: a detached process group, in the sandbox when there is one. */
  spawn(request: ClaudeSpawnRequest): ChildProcessWithoutNullStreams;
  /** How the process ended, once it did; `null` while it runs or when it never started. */
  exit(): { readonly code: number | null; readonly signal: string | null } | null;
  /** Why it could not be started (the sandbox refused), if so. */
  failure(): string | null;
  /** The last few KiB of its stderr (not redacted). */
  stderr(): string;
  /** Ends the whole group: SIGTERM now, SIGKILL after `graceMs`. */
  stop(graceMs: number): void;
  /** SIGKILL to whatever is left of the group (what the agent left running in the background goes too). */
  reap(): void;
}

const STDERR_TAIL = 4_096;

/** The directories holding the program (and the script a runtime runs): a sandbox may hide them otherwise. */
export function programDirs(command: string, args: readonly string[]): string[] {
  const runtime = /(^|\/)(node|bun|deno)$/.test(command);
  const paths = [command, ...(runtime && args[0] !== undefined ? [args[0]] : [])];
  return paths.filter((p) => isAbsolute(p) && existsSync(p)).map((p) => dirname(p));
}

/**
 * A {@link ClaudeSpawner}. `onSpawn` is called with the group id right after the process exists, before the
 * SDK writes anything to it (the dispatcher records it in the execution's marker).
 */
export function createClaudeSpawner(options: {
  readonly sandbox: ProcessSandbox | undefined;
  readonly sandbox_paths: ClaudeSandboxPaths;
  readonly onSpawn: (pgid: number) => void;
}): ClaudeSpawner {
  let pgid: number | null = null;
  let ended: { code: number | null; signal: string | null } | null = null;
  let refused: string | null = null;
  let tail = "";
  let killTimer: NodeJS.Timeout | undefined;
  return {
    spawn(request) {
      let argv = [request.command, ...request.args];
      const cwd = request.cwd ?? process.cwd();
      if (options.sandbox !== undefined) {
        const wrapped = options.sandbox.wrap({
          argv,
          cwd,
          writable: options.sandbox_paths.writable,
          readable: [...options.sandbox_paths.readable, ...programDirs(request.command, request.args)],
        });
        if (wrapped.isErr()) {
          refused = wrapped.error.message;
          // The SDK reports a throwing spawn as a failed start; the dispatcher answers `port_failure`.
          throw new Error(`the sandbox refused to start Claude Code: ${refused}`);
        }
        argv = [...wrapped.value.argv];
      }
      const [file = "", ...args] = argv;
      const child = spawn(file, args, { cwd, env: { ...request.env }, stdio: "pipe", detached: true });
      if (child.pid !== undefined) {
        pgid = child.pid;
        trackGroup(child.pid);
        options.onSpawn(child.pid);
      }
      child.stderr.setEncoding("utf8");
      child.stderr.on("data", (chunk: string) => {
        tail = (tail + chunk).slice(-STDERR_TAIL);
      });
      child.once("exit", (code, signal) => {
        ended = { code, signal };
      });
      return child;
    },
    exit: () => ended,
    failure: () => refused,
    stderr: () => tail,
    stop(graceMs) {
      if (pgid === null || !signalGroup(pgid, "SIGTERM")) return;
      const group = pgid;
      killTimer ??= setTimeout(() => signalGroup(group, "SIGKILL"), graceMs);
      killTimer.unref();
    },
    reap() {
      clearTimeout(killTimer);
      if (pgid === null) return;
      signalGroup(pgid, "SIGKILL");
      untrackGroup(pgid);
    },
  };
}

/** The paths a sandbox must open: the clone's common git dir (to commit) and Claude Code's config dir. */
export function sandboxPathsOf(
  adapter: string,
  worktree: string,
  gitDirs: GitDirs | null,
  configDir: string | null,
): Result<{ writable: string[]; readable: string[] }, PortError> {
  if (gitDirs === null) {
    return err(dispatcherFailure(adapter, "sandbox", `no git data found for the worktree ${worktree}`));
  }
  const outside = (dir: string) => relative(worktree, dir).startsWith("..");
  const writable = [gitDirs.common_dir, gitDirs.git_dir].filter(outside);
  return ok({
    writable: [...new Set([...writable, ...(configDir === null ? [] : [configDir])])],
    readable: [],
  });
}
