/**
 * What the git benchmarks share: an isolated git environment, a local bare remote seeded with ~50 files, and the
 * card sequence (clone → feature branch → worktree → one commit → changed files) done two ways: through
 * `createSimpleGitAdapter` and with the same git commands run directly through `child_process.execFile`.
 * Everything is local (temporary directories, a bare repository as the remote); nothing reaches the network.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import type { SimpleGitAdapter } from "../src/adapters/simple-git/index.js";

const run = promisify(execFile);

/** The `-c` settings the adapter puts on every command (see run-git.ts); the raw variant uses them too. */
const COMMAND_CONFIG = [
  "-c",
  "core.hooksPath=/dev/null",
  "-c",
  "core.quotePath=false",
  "-c",
  "log.showSignature=false",
];

/** Files on the remote's `main`: 50 source files of 1 to 4 KiB (about 120 KiB in all). */
export const SEED_FILE_COUNT = 50;

/**
 * Isolates git from the machine: no system config, an empty HOME, a fixed identity. Call before any adapter is
 * made (the adapter reads the environment once, when it is created). Returns the HOME directory to remove.
 */
export async function isolateGit(): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), "rungate-bench-home-"));
  process.env.HOME = home;
  process.env.GIT_CONFIG_NOSYSTEM = "1";
  process.env.GIT_AUTHOR_NAME = "Agent";
  process.env.GIT_AUTHOR_EMAIL = "agent@example.invalid";
  process.env.GIT_COMMITTER_NAME = "Agent";
  process.env.GIT_COMMITTER_EMAIL = "agent@example.invalid";
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"]) delete process.env[name];
  return home;
}

/** Runs `git args` in `cwd`; throws on a non-zero exit (set-up and the raw variant, never the adapter). */
export async function gitIn(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run("git", [...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** A source file of 1 to 4 KiB whose content depends on `n` (so objects differ). */
function sourceFile(n: number): string {
  const lines = 20 + (n % 4) * 20;
  let text = `// module ${n}\n`;
  for (let i = 0; i < lines; i += 1)
    text += `export const value_${n}_${i} = ${n * 1000 + i}; // padding line\n`;
  return text;
}

/** Writes `files` under `dir`, creating parent directories. */
export async function writeFiles(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, content);
  }
}

/** The ~50 files of the seeded remote: a README, a package.json and 48 modules in three folders. */
export function seedFiles(): Record<string, string> {
  const files: Record<string, string> = {
    "README.md": "# shop\n\nA seeded repository for the git benchmarks.\n",
    "package.json": `${JSON.stringify({ name: "shop", version: "1.0.0", type: "module" }, null, 2)}\n`,
  };
  for (let n = 0; n < SEED_FILE_COUNT - 2; n += 1) {
    files[`src/${["cart", "catalog", "checkout"][n % 3]}/module-${n}.ts`] = sourceFile(n);
  }
  return files;
}

/** A bare repository in `dir` whose `main` holds {@link seedFiles} in one commit. Returns its path. */
export async function createSeededRemote(dir: string): Promise<string> {
  const remote = join(dir, "remote.git");
  await gitIn(dir, ["init", "--quiet", "--bare", remote]);
  await gitIn(remote, ["symbolic-ref", "HEAD", "refs/heads/main"]);
  const seed = await mkdtemp(join(dir, "seed-"));
  await gitIn(seed, ["init", "--quiet"]);
  await gitIn(seed, ["checkout", "--quiet", "-b", "main"]);
  await writeFiles(seed, seedFiles());
  await gitIn(seed, ["add", "-A"]);
  await gitIn(seed, ["commit", "--quiet", "-m", "Initial commit"]);
  await gitIn(seed, ["push", "--quiet", remote, "main:refs/heads/main"]);
  await rm(seed, { recursive: true, force: true });
  return remote;
}

/** The branch and worktree id of card `n`. */
export function cardNames(n: number): { branch: string; assignment_id: string } {
  return { branch: `rungate/card-${n}`, assignment_id: `card-${n}` };
}

/**
 * What an agent does in a worktree: writes one new file and commits it with plain git (2 processes: `add`,
 * `commit`). The same in both variants.
 */
export async function commitInWorktree(worktree: string, n: number): Promise<void> {
  await writeFiles(worktree, {
    [`src/cart/total-${n}.ts`]: `export const total${n} = (a: number) => a * ${n};\n`,
  });
  await gitIn(worktree, ["add", "-A"]);
  await gitIn(worktree, ["commit", "--quiet", "-m", `card ${n}: add a total`]);
}

/** Unwraps a port result; a failure stops the benchmark with the port error. */
function must<T>(result: { isOk(): boolean; _unsafeUnwrap(): T; _unsafeUnwrapErr(): unknown }): T {
  if (result.isOk()) return result._unsafeUnwrap();
  throw new Error(`git port failed: ${JSON.stringify(result._unsafeUnwrapErr())}`);
}

/**
 * Card `n` through the adapter, project `p<n>` cloned for the first time: `ensureClone`, `createFeatureBranch`
 * from `main`, `createWorktree`, one commit ({@link commitInWorktree}), `importWork` (the agent's commit read
 * back into the clone), `changedFiles(base_sha, branch)`.
 * Returns the number of changed files (1).
 */
export async function cardThroughAdapter(
  git: SimpleGitAdapter,
  repo_url: string,
  n: number,
): Promise<number> {
  const { branch, assignment_id } = cardNames(n);
  const { clone_path } = must(await git.ensureClone({ project_id: `p${n}`, repo_url }));
  const { base_sha } = must(await git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
  const { worktree_path } = must(await git.createWorktree({ clone_path, branch, assignment_id }));
  await commitInWorktree(worktree_path, n);
  must(await git.importWork({ clone_path, worktree_path, branch, base_sha }));
  return must(await git.changedFiles({ clone_path, base: base_sha, head: branch })).length;
}

/**
 * The git commands the raw variant runs for one card, in order, with their working directory: the same layout
 * as the adapter (a bare clone whose `refs/remotes/origin/*` mirror the remote, a worktree outside it) and
 * the same `-c` settings, but no checks: 6 processes.
 */
export function rawCommands(root: string, repo_url: string, n: number) {
  const { branch, assignment_id } = cardNames(n);
  const clone = join(root, `p${n}`);
  const worktree = join(`${clone}.worktrees`, assignment_id);
  return {
    clone,
    worktree,
    ensureClone: [
      { cwd: root, args: ["init", "--quiet", "--bare", clone] },
      { cwd: clone, args: ["remote", "add", "origin", repo_url] },
      { cwd: clone, args: ["fetch", "--prune", "--quiet", "origin"] },
    ],
    createFeatureBranch: [{ cwd: clone, args: ["branch", "--no-track", branch, "refs/remotes/origin/main"] }],
    createWorktree: [{ cwd: clone, args: ["worktree", "add", "--quiet", worktree, branch] }],
    changedFiles: [
      { cwd: clone, args: ["diff-tree", "-r", "-z", "-M", "--raw", "refs/remotes/origin/main", branch] },
    ],
  };
}

/** Runs raw commands in order with the adapter's `-c` settings; returns the last stdout. */
export async function runRawCommands(
  commands: readonly { cwd: string; args: readonly string[] }[],
): Promise<string> {
  let stdout = "";
  for (const c of commands) stdout = await gitIn(c.cwd, [...COMMAND_CONFIG, ...c.args]);
  return stdout;
}

/** Card `n` with raw git commands ({@link rawCommands}) and the same commit. Returns the number of changed files. */
export async function cardThroughRawGit(root: string, repo_url: string, n: number): Promise<number> {
  const steps = rawCommands(root, repo_url, n);
  await runRawCommands(steps.ensureClone);
  await runRawCommands(steps.createFeatureBranch);
  await mkdir(dirname(steps.worktree), { recursive: true });
  await runRawCommands(steps.createWorktree);
  await commitInWorktree(steps.worktree, n);
  const raw = await runRawCommands(steps.changedFiles);
  // `:<modes> <objects> <letter>\0<path>\0` per file.
  return raw.split("\u0000").filter((field) => field.startsWith(":")).length;
}
