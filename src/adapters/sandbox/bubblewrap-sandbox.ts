/**
 * A {@link ProcessSandbox} over bubblewrap (`bwrap`, Linux): the process sees the host's file system
 * read-only, its working directory (and the directories it is given) writable, a private `/tmp`, the hidden
 * directories empty, its own `/proc` and PID namespace (it cannot see, signal or read the environment of any
 * process outside, its parent included), no network unless asked, and it dies with everything it started
 * when its launcher dies.
 */
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { PortError } from "../../ports/port-error.js";
import type { ProcessSandbox, SandboxedProcessSpec, WrappedProcess } from "../../ports/process-sandbox.js";
import { BubblewrapSandboxConfig, type BubblewrapSandboxConfigInput } from "./bubblewrap-config.js";
import { type EgressProxy, FORWARDER, startEgressProxy } from "./egress-proxy.js";

/** A bubblewrap sandbox, plus the check a host can run at start-up. */
export interface BubblewrapSandbox extends ProcessSandbox {
  /** The resolved `bwrap` executable, or the error every `wrap` answers when there is none. */
  check(): Result<string, PortError>;
  /** Stops the egress proxy of `allow_hosts`, if one runs (it never keeps the process alive by itself). */
  close(): void;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `bwrap_path` as an absolute executable path, looked up on `PATH` when it is a bare name. */
function locate(bwrap_path: string, path: string | undefined): string | null {
  if (isAbsolute(bwrap_path)) return isExecutable(bwrap_path) ? bwrap_path : null;
  for (const dir of (path ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, bwrap_path);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * The object directories a repository at `cwd` borrows (`.git/objects/info/alternates`): rungate's worktrees
 * and check trees read their base commits from the clone's object store, which must stay readable.
 */
function borrowedObjects(cwd: string): string[] {
  try {
    return readFileSync(join(cwd, ".git", "objects", "info", "alternates"), "utf8")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => resolve(join(cwd, ".git", "objects"), line));
  } catch {
    return [];
  }
}

/**
 * Creates the bubblewrap sandbox. Options are parsed; bad ones throw (a programmer error). A missing `bwrap`
 * does not throw: every `wrap` then answers `port_failure` `sandbox_unavailable`, so the process adapters
 * refuse to start anything rather than run it unsandboxed; `check()` tells it up front.
 *
 * @example
 * ```ts
 * const sandbox = createBubblewrapSandbox();          // network off, home hidden
 * sandbox.check().match(() => {}, (e) => { throw new Error(e.message); });
 * const dispatcher = createCommandDispatcher({ command: ["my-agent"], sandbox });
 * ```
 */
export function createBubblewrapSandbox(config: BubblewrapSandboxConfigInput = {}): BubblewrapSandbox {
  const parsed = BubblewrapSandboxConfig.safeParse(config);
  if (!parsed.success) {
    throw new TypeError(`createBubblewrapSandbox: invalid options:\n${z.prettifyError(parsed.error)}`);
  }
  const { name, bwrap_path, network, read_only, allow_hosts } = parsed.data;
  let proxy: EgressProxy | null = null;
  const hide = parsed.data.hide ?? [homedir()];
  const located = locate(bwrap_path, process.env.PATH);
  const unavailable = (): PortError =>
    rungateError("port_failure", "sandbox_unavailable", {
      port: "ProcessSandbox",
      adapter: name,
      operation: "wrap",
      retryable: false,
      cause: `bubblewrap (${bwrap_path}) is not installed or not executable; install it (Debian: apt-get install bubblewrap). rungate never runs the process unsandboxed instead.`,
    });

  return {
    name,
    check: () => (located === null ? err(unavailable()) : ok(located)),
    close() {
      proxy?.close();
      proxy = null;
    },
    wrap(spec: SandboxedProcessSpec): Result<WrappedProcess, PortError> {
      if (located === null) return err(unavailable());
      const cwd = resolve(spec.cwd);
      const args: string[] = [
        located,
        "--die-with-parent",
        "--new-session",
        "--unshare-all",
        ...(network === "host" ? ["--share-net"] : []),
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
      ];
      for (const dir of hide) if (existsSync(dir)) args.push("--tmpfs", dir);
      // Read-only first, then writable: a later mount wins where they nest.
      for (const path of [...read_only, ...spec.readable, ...borrowedObjects(cwd)]) {
        if (existsSync(path)) args.push("--ro-bind", resolve(path), resolve(path));
      }
      for (const path of [cwd, ...spec.writable]) args.push("--bind", resolve(path), resolve(path));
      args.push("--chdir", cwd, "--");
      if (allow_hosts.length === 0) return ok({ argv: [...args, ...spec.argv] });
      // The allow-list: the proxy's socket and the node that runs the forwarder, then the forwarder.
      proxy ??= startEgressProxy(allow_hosts);
      const at = args.indexOf("--chdir");
      args.splice(at, 0, "--bind", proxy.dir, proxy.dir, "--ro-bind", process.execPath, process.execPath);
      return ok({ argv: [...args, process.execPath, "-e", FORWARDER, proxy.socket, "--", ...spec.argv] });
    },
  };
}
