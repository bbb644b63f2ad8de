/**
 * Where the git adapter's time goes (issue 5), as a plain script: `npx tsx bench/git-processes.ts`.
 *
 * 1. Counts the git processes each adapter step spawns for one card (first clone, branch, worktree, changed
 *    files), with what each printed, through a logging `git_binary` wrapper; the raw variant's commands are
 *    listed from `rawCommands`.
 * 2. Times each step (mean of several cards, one run) for: the adapter on plain git, the adapter on a
 *    pass-through shell wrapper, the adapter on a wrapper that first prints one byte on stderr (simple-git waits
 *    50 ms after a process that printed nothing; a byte on stderr lifts that wait without changing the result),
 *    and raw git through `execFile`.
 *
 * Everything is local: temporary directories, a seeded bare repository as the remote.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createSimpleGitAdapter, type SimpleGitAdapter } from "../src/adapters/simple-git/index.js";
import {
  cardNames,
  commitInWorktree,
  createSeededRemote,
  isolateGit,
  rawCommands,
  runRawCommands,
} from "./git-fixture.js";

const CARDS_PER_VARIANT = 8;
const STEPS = [
  "ensureClone",
  "createFeatureBranch",
  "createWorktree",
  "commit",
  "importWork",
  "changedFiles",
] as const;
type Step = (typeof STEPS)[number];

const home = await isolateGit();
const dir = await mkdtemp(join(tmpdir(), "rungate-bench-git-procs-"));

try {
  const remote = await createSeededRemote(dir);
  const log = join(dir, "git-calls.log");
  const logging = await wrapper(
    dir,
    "git-logging",
    `out=$(mktemp); err=$(mktemp)
git "$@" >"$out" 2>"$err"; rc=$?
printf '%s\\t%s\\t%s\\t%s\\n' "$rc" "$(wc -c <"$out")" "$(wc -c <"$err")" "$*" >>"${log}"
cat "$out"; cat "$err" >&2; rm -f "$out" "$err"; exit $rc`,
  );
  const passThrough = await wrapper(dir, "git-pass-through", 'exec git "$@"');
  const speaking = await wrapper(dir, "git-speaking", `printf ' ' >&2\nexec git "$@"`);

  // 1. Processes per step, for one card through the adapter.
  const counted = createSimpleGitAdapter({ root: join(dir, "counted"), git_binary: logging });
  const perStep: Record<string, string[]> = {};
  let seen = 0;
  await timedCard(counted, remote, 1, async (step) => {
    const lines = (await readFile(log, "utf8").catch(() => "")).split("\n").filter((l) => l.length > 0);
    perStep[step] = lines.slice(seen);
    seen = lines.length;
  });
  console.log("\n## git processes per step, adapter (exit, stdout bytes, stderr bytes, -c settings omitted)");
  for (const [step, lines] of Object.entries(perStep)) {
    console.log(`${step}: ${lines.length}`);
    for (const line of lines) console.log(`    ${line.replace(/-c \S+ /g, "")}`);
  }
  const raw = rawCommands(join(dir, "raw-listing"), remote, 1);
  console.log("\n## git processes per step, raw");
  for (const step of ["ensureClone", "createFeatureBranch", "createWorktree", "changedFiles"] as const) {
    console.log(`${step}: ${raw[step].length}`);
    for (const c of raw[step]) console.log(`    ${c.args.join(" ")}`);
  }

  // 2. Per-step time, mean over CARDS_PER_VARIANT cards, variants interleaved card by card.
  const variants: Record<string, (n: number) => Promise<Record<Step, number>>> = {
    "adapter, git": card(createSimpleGitAdapter({ root: join(dir, "plain") }), remote),
    "adapter, pass-through wrapper": card(
      createSimpleGitAdapter({ root: join(dir, "through"), git_binary: passThrough }),
      remote,
    ),
    "adapter, wrapper printing 1 byte on stderr": card(
      createSimpleGitAdapter({ root: join(dir, "speaking"), git_binary: speaking }),
      remote,
    ),
    "raw git, execFile": rawCard(join(dir, "raw"), remote),
  };
  await mkdir(join(dir, "raw"));
  const totals: Record<string, Record<Step, number>> = {};
  let n = 100;
  for (let round = 0; round < CARDS_PER_VARIANT + 1; round += 1) {
    for (const [name, variant] of Object.entries(variants)) {
      n += 1;
      const times = await variant(n);
      if (round === 0) continue; // warm-up
      const total = totals[name] ?? zeroes();
      totals[name] = total;
      for (const step of STEPS) total[step] += times[step] / CARDS_PER_VARIANT;
    }
  }
  console.log(`\n## mean ms per step (${CARDS_PER_VARIANT} cards each, interleaved)`);
  console.log(`| variant | ${STEPS.join(" | ")} | total | vs raw |`);
  const sumOf = (t: Record<Step, number>) => STEPS.reduce((acc, step) => acc + t[step], 0);
  const rawTotals = totals["raw git, execFile"];
  for (const [name, t] of Object.entries(totals)) {
    const ratio = rawTotals === undefined ? "" : `${(sumOf(t) / sumOf(rawTotals)).toFixed(2)}×`;
    console.log(
      `| ${name} | ${STEPS.map((s) => t[s].toFixed(1)).join(" | ")} | ${sumOf(t).toFixed(1)} | ${ratio} |`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
}

function zeroes(): Record<Step, number> {
  // Raw git has no import: the linked worktree shares the clone's refs (and its config).
  return {
    ensureClone: 0,
    createFeatureBranch: 0,
    createWorktree: 0,
    commit: 0,
    importWork: 0,
    changedFiles: 0,
  };
}

/** An executable `/bin/sh` script named `name` in `where`. */
async function wrapper(where: string, name: string, body: string): Promise<string> {
  const path = join(where, name);
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

/** Unwraps a port result; a failure stops the script. */
function must<T>(result: { isOk(): boolean; _unsafeUnwrap(): T; _unsafeUnwrapErr(): unknown }): T {
  if (result.isOk()) return result._unsafeUnwrap();
  throw new Error(`git port failed: ${JSON.stringify(result._unsafeUnwrapErr())}`);
}

/** One card through the adapter, calling `after(step)` after each step; returns ms per step. */
async function timedCard(
  git: SimpleGitAdapter,
  repo_url: string,
  n: number,
  after: (step: Step) => Promise<void> = async () => {},
): Promise<Record<Step, number>> {
  const times = zeroes();
  const timed = async <T>(step: Step, work: () => PromiseLike<T>): Promise<T> => {
    const start = performance.now();
    const value = await work();
    times[step] = performance.now() - start;
    await after(step);
    return value;
  };
  const { branch, assignment_id } = cardNames(n);
  const { clone_path } = must(
    await timed("ensureClone", () => git.ensureClone({ project_id: `p${n}`, repo_url })),
  );
  const { base_sha } = must(
    await timed("createFeatureBranch", () =>
      git.createFeatureBranch({ clone_path, branch, base_branch: "main" }),
    ),
  );
  const { worktree_path } = must(
    await timed("createWorktree", () => git.createWorktree({ clone_path, branch, assignment_id })),
  );
  await timed("commit", () => commitInWorktree(worktree_path, n));
  must(await timed("importWork", () => git.importWork({ clone_path, worktree_path, branch, base_sha })));
  const changed = must(
    await timed("changedFiles", () => git.changedFiles({ clone_path, base: base_sha, head: branch })),
  );
  if (changed.length !== 1) throw new Error(`expected 1 changed file, got ${changed.length}`);
  return times;
}

function card(git: SimpleGitAdapter, repo_url: string) {
  return (n: number) => timedCard(git, repo_url, n);
}

/** One card with raw git, timed per step. */
function rawCard(root: string, repo_url: string) {
  return async (n: number): Promise<Record<Step, number>> => {
    const steps = rawCommands(root, repo_url, n);
    const times = zeroes();
    const run = async (step: Step, commands: readonly { cwd: string; args: readonly string[] }[]) => {
      const start = performance.now();
      if (step === "createWorktree") await mkdir(dirname(steps.worktree), { recursive: true });
      await runRawCommands(commands);
      times[step] = performance.now() - start;
    };
    await run("ensureClone", steps.ensureClone);
    await run("createFeatureBranch", steps.createFeatureBranch);
    await run("createWorktree", steps.createWorktree);
    const start = performance.now();
    await commitInWorktree(steps.worktree, n);
    times.commit = performance.now() - start;
    await run("changedFiles", steps.changedFiles);
    return times;
  };
}
