import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { ResultAsync } from "neverthrow";
import type { PortError } from "../../../src/ports/port-error.js";

// Everything here is local: repositories in temporary directories, plain git processes, and HTTP servers on
// 127.0.0.1. Nothing reaches the network.

const run = promisify(execFile);

/** The value of a port call expected to succeed (a failure throws with its kind and message). */
export async function ok<T>(result: ResultAsync<T, PortError>): Promise<T> {
  const settled = await result;
  if (settled.isErr()) throw new Error(`expected ok, got ${settled.error.kind}: ${settled.error.message}`);
  return settled.value;
}

/** The error of a port call expected to fail (a success throws). */
export async function fails<T>(result: ResultAsync<T, PortError>): Promise<PortError> {
  const settled = await result;
  if (settled.isOk()) throw new Error(`expected an error, got ${JSON.stringify(settled.value)}`);
  return settled.error;
}

/**
 * Isolates git from the machine running the tests: no system config, a fresh empty HOME (so no global config,
 * no credential helper), a fixed identity. Call once at the top of a test file, before any adapter is made.
 */
export async function isolateGit(): Promise<void> {
  const home = await tempDir("rungate-git-home-");
  process.env.HOME = home;
  process.env.GIT_CONFIG_NOSYSTEM = "1";
  process.env.GIT_AUTHOR_NAME = "Agent";
  process.env.GIT_AUTHOR_EMAIL = "agent@example.invalid";
  process.env.GIT_COMMITTER_NAME = "Agent";
  process.env.GIT_COMMITTER_EMAIL = "agent@example.invalid";
  delete process.env.GIT_DIR;
  delete process.env.GIT_WORK_TREE;
  delete process.env.GIT_INDEX_FILE;
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory {@link tempDir} made. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Runs git in `cwd` and returns its stdout (throws on a non-zero exit: test setup, not code under test). */
export async function gitIn(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("git", args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/**
 * A bare repository in `dir` whose `main` holds `files` in one commit (made in a scratch clone, then pushed).
 * Returns the repository's absolute path, usable as a repo_url.
 */
export async function createBareRemote(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<string> {
  const remote = join(dir, `remote-${Math.random().toString(36).slice(2)}.git`);
  await gitIn(dir, "init", "--quiet", "--bare", remote);
  await gitIn(remote, "symbolic-ref", "HEAD", "refs/heads/main");
  const seed = await mkdtemp(join(dir, "seed-"));
  await gitIn(seed, "init", "--quiet");
  await gitIn(seed, "checkout", "--quiet", "-b", "main");
  await writeFiles(seed, files);
  await gitIn(seed, "add", "-A");
  await gitIn(seed, "commit", "--quiet", "-m", "Initial commit");
  await gitIn(seed, "push", "--quiet", remote, "main:refs/heads/main");
  await rm(seed, { recursive: true, force: true });
  return remote;
}

/** Writes (or with `null` deletes) files under `dir`, creating parent directories. */
export async function writeFiles(dir: string, files: Readonly<Record<string, string | null>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    if (content === null) {
      await unlink(full);
    } else {
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, content);
    }
  }
}

/** Commits everything in a worktree (`git add -A && git commit`) and returns the new sha. */
export async function commitAll(worktree: string, message: string): Promise<string> {
  await gitIn(worktree, "add", "-A");
  await gitIn(worktree, "commit", "--quiet", "-m", message);
  return (await gitIn(worktree, "rev-parse", "HEAD")).trim();
}

/** Writes files then commits them: what an agent does. */
export async function commitFiles(
  worktree: string,
  files: Readonly<Record<string, string | null>>,
  message: string,
): Promise<string> {
  await writeFiles(worktree, files);
  return commitAll(worktree, message);
}

/** Adds a symbolic link at `path` (relative to the worktree) pointing to `target`, then commits. */
export async function commitSymlink(worktree: string, path: string, target: string, message: string) {
  await mkdir(dirname(join(worktree, path)), { recursive: true });
  await symlink(target, join(worktree, path));
  return commitAll(worktree, message);
}

/** Sets a file's mode in the worktree, then commits. */
export async function commitMode(worktree: string, path: string, mode: number, message: string) {
  await chmod(join(worktree, path), mode);
  return commitAll(worktree, message);
}

/** Someone else pushes a commit writing `files` on `branch` of the bare remote at `remote`. */
export async function pushAsSomeoneElse(
  remote: string,
  branch: string,
  files: Readonly<Record<string, string | null>>,
  message: string,
): Promise<string> {
  const scratch = await tempDir("rungate-someone-else-");
  await gitIn(scratch, "clone", "--quiet", "--branch", branch, remote, "work");
  const work = join(scratch, "work");
  const sha = await commitFiles(work, files, message);
  await gitIn(work, "push", "--quiet", "origin", `${branch}:refs/heads/${branch}`);
  return sha;
}

/** A local HTTP server that records requests; `respond` decides what each one gets. */
export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Headers of every request received, in order. */
  readonly requests: IncomingHttpHeaders[];
  /** Resolves when the first request arrives. */
  readonly firstRequest: Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1. `mode: "fail"` answers every request with a 500; `mode: "hang"` never answers
 * (until closed).
 */
export async function startRecordingServer(mode: "fail" | "hang"): Promise<RecordingServer> {
  const requests: IncomingHttpHeaders[] = [];
  let arrived: () => void = () => undefined;
  const firstRequest = new Promise<void>((done) => {
    arrived = done;
  });
  const server: Server = createServer((request, response) => {
    requests.push(request.headers);
    arrived();
    if (mode === "fail") {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end("internal error\n");
    }
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    firstRequest,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
