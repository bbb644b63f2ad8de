/**
 * Runs one child process (execa 9) in its own process group and makes sure the whole group is gone when the
 * run ends: on timeout and on abort the group gets SIGTERM, then SIGKILL after a grace period; when the main
 * process exits, whatever it left behind in its group gets the same treatment; a last SIGKILL to the group
 * follows every run. Output (stdout and stderr interleaved) is streamed into a bounded tail and, optionally,
 * split into lines; nothing is buffered whole. POSIX only (process groups).
 *
 * This file is kept identical in `process-checks/` and `process-dispatch/` (adapters never import each
 * other); a test compares the two copies.
 */
import { execa } from "execa";
import type { ProcessSandbox } from "../../ports/process-sandbox.js";
import { LineSplitter, TailBuffer } from "./tail-buffer.js";

/** What to run and how. */
export interface ProcessSpec {
  /** Program and arguments (never a shell string unless `shell` is set). */
  readonly argv: readonly string[];
  readonly cwd: string;
  /** The child's whole environment (the host's is not extended). */
  readonly env: Readonly<Record<string, string>>;
  /** Run `argv` joined by spaces through `/bin/sh` (opt-in). */
  readonly shell?: boolean;
  readonly timeout_ms: number;
  /** Time between SIGTERM and SIGKILL to the group. */
  readonly kill_grace_ms: number;
  /** How many trailing output bytes to keep. */
  readonly tail_bytes: number;
  readonly signal?: AbortSignal;
  /** Called with each output line (unredacted); a throwing callback is ignored. */
  readonly onLine?: (line: string) => void;
  /** Longest line handed to `onLine`, in bytes (default 4096). */
  readonly max_line_bytes?: number;
  /**
   * Start the program held (`argv[0]` must then be an absolute path): a `/bin/sh` in the new process group
   * waits for a release on stdin and only then `exec`s the program, keeping the pid. `onSpawn` receives the
   * `release` function; a child not released by the time `onSpawn` returns (or whose parent died first)
   * exits without ever running the program. Lets a caller record "the program may run now" durably before it
   * can run.
   */
  readonly gate?: boolean;
  /** Called once the child has a pid (its process group id); with `release` when `gate` is set. */
  readonly onSpawn?: (pid: number, release?: () => void) => void;
  /**
   * Runs the program inside this sandbox (the held start, if any, stays outside it). When the sandbox cannot
   * run, nothing starts: the end is `not_started` with code `sandbox_unavailable`.
   */
  readonly sandbox?: ProcessSandbox;
  /** For the sandbox: directories the program may write besides `cwd`, and paths it must be able to read. */
  readonly sandbox_paths?: { readonly writable: readonly string[]; readonly readable: readonly string[] };
}

/** The held start of {@link ProcessSpec.gate}: one line "go" on stdin runs the program, anything else ends. */
const GATE_SCRIPT = 'IFS= read -r go || exit 0; [ "$go" = go ] || exit 0; exec "$@"';

/** How a run ended. */
export type ProcessEnd =
  | { readonly kind: "exited"; readonly exit_code: number | null; readonly signal: string | null }
  | { readonly kind: "not_started"; readonly code: string; readonly reason: string }
  | { readonly kind: "timed_out" }
  | { readonly kind: "aborted" };

/** What a run left: how it ended, the output tail and how long it took. */
export interface ProcessReport {
  readonly end: ProcessEnd;
  /** The last `tail_bytes` bytes of output. */
  readonly tail: Buffer;
  /** Output bytes before the tail that were not kept. */
  readonly dropped: number;
  readonly duration_ms: number;
}

/** Sends `signal` to the process group `pgid`; false when there is no such group (or no permission). */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Groups still running, killed if this process exits first (detached children outlive their parent). */
const live = new Set<number>();
let exitHookInstalled = false;
/** Remembers a detached group, to be killed if this process exits before it ends ({@link untrackGroup}). */
export function trackGroup(pgid: number): void {
  live.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const group of live) signalGroup(group, "SIGKILL");
  });
}

/** Forgets a group {@link trackGroup} remembered: it ended. */
export function untrackGroup(pgid: number): void {
  live.delete(pgid);
}

/** Runs `spec` to its end. Never rejects: a child that cannot start is a `not_started` end. */
export async function runProcess(spec: ProcessSpec): Promise<ProcessReport> {
  const started = performance.now();
  const tail = new TailBuffer(spec.tail_bytes);
  const onLine = spec.onLine;
  const lines = onLine
    ? new LineSplitter(spec.max_line_bytes ?? 4096, (line) => {
        try {
          onLine(line);
        } catch {
          // A listener's failure must not break the run.
        }
      })
    : undefined;
  const gated = spec.gate === true;
  let argv = spec.argv;
  let shell = spec.shell ?? false;
  if (spec.sandbox !== undefined) {
    // The shell, if asked for, runs inside the sandbox too.
    const inner = shell ? ["/bin/sh", "-c", spec.argv.join(" ")] : spec.argv;
    const wrapped = spec.sandbox.wrap({
      argv: inner,
      cwd: spec.cwd,
      ...(spec.sandbox_paths ?? { writable: [], readable: [] }),
    });
    if (wrapped.isErr()) {
      const reason =
        wrapped.error.kind === "port_failure"
          ? (wrapped.error.detail.cause ?? wrapped.error.message)
          : wrapped.error.message;
      return {
        end: { kind: "not_started", code: "sandbox_unavailable", reason },
        tail: Buffer.alloc(0),
        dropped: 0,
        duration_ms: performance.now() - started,
      };
    }
    argv = wrapped.value.argv;
    shell = false;
  }
  const [file = "", ...args] = gated ? ["/bin/sh", "-c", GATE_SCRIPT, "rungate-gate", ...argv] : argv;
  const child = execa(file, args, {
    cwd: spec.cwd,
    env: { ...spec.env },
    extendEnv: false,
    shell,
    detached: true,
    stdin: gated ? "pipe" : "ignore",
    all: true,
    buffer: false,
    reject: false,
    forceKillAfterDelay: false,
  });
  const pid = child.pid ?? null;
  if (pid !== null) {
    trackGroup(pid);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      child.stdin?.end("go\n");
    };
    try {
      spec.onSpawn?.(pid, gated ? release : undefined);
    } catch {
      // A listener's failure must not break the run (a held child then simply is not released).
    } finally {
      // Not released: end the held child's stdin, so it exits without running the program.
      if (gated && !released) child.stdin?.end();
    }
  }
  // A held child that died early makes writing "go" fail; that is its end, reported below.
  child.stdin?.on("error", () => undefined);

  let stopped: "timed_out" | "aborted" | null = null;
  let leaderExited = false;
  let forceKill: NodeJS.Timeout | undefined;
  const terminateGroup = () => {
    if (pid === null || !signalGroup(pid, "SIGTERM")) return;
    forceKill ??= setTimeout(() => signalGroup(pid, "SIGKILL"), spec.kill_grace_ms);
  };
  const stop = (reason: "timed_out" | "aborted") => {
    if (stopped !== null || leaderExited) return;
    stopped = reason;
    terminateGroup();
  };
  const timer = setTimeout(() => stop("timed_out"), spec.timeout_ms);
  const onAbort = () => stop("aborted");
  spec.signal?.addEventListener("abort", onAbort, { once: true });
  if (spec.signal?.aborted) stop("aborted");
  child.once("exit", () => {
    leaderExited = true;
    clearTimeout(timer);
    // Whatever the child left running in its group (and holding the output pipe) goes too.
    terminateGroup();
  });
  child.all?.on("data", (chunk: Uint8Array) => {
    tail.push(chunk);
    lines?.push(chunk);
  });

  const result = await child;
  clearTimeout(timer);
  clearTimeout(forceKill);
  spec.signal?.removeEventListener("abort", onAbort);
  if (pid !== null) {
    signalGroup(pid, "SIGKILL");
    untrackGroup(pid);
  }
  lines?.end();

  const end: ProcessEnd =
    pid === null
      ? {
          kind: "not_started",
          code: typeof result.code === "string" ? result.code : "unknown",
          reason: result.originalMessage || result.shortMessage || "could not start",
        }
      : stopped !== null
        ? { kind: stopped }
        : { kind: "exited", exit_code: result.exitCode ?? null, signal: result.signal ?? null };
  return { end, tail: tail.bytes(), dropped: tail.dropped, duration_ms: performance.now() - started };
}
