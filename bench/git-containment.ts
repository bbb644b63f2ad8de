/**
 * What containment costs in the git adapter (issue 12), as a plain script: `npx tsx bench/git-containment.ts`.
 * All in one run, variants interleaved card by card (machines are noisy: compare the ratios, not the ms):
 *
 * 1. A worktree: the adapter's standalone repository (`createWorktree`) vs a raw `git worktree add` (what the
 *    adapter did before), for a seeded repository of ~50 files.
 * 2. Reading an agent's commit back: `importWork` (ls-remote, fetch, ancestry, a status under a temporary index,
 *    update-ref, plus the remote listing) vs the `headSha` the orchestrator used to read, which was all a
 *    shared clone needed.
 * 3. A check tree: `prepareCheckTree` + `inspectCheckTree` + `removeCheckTree` per check.
 * 4. Config immunity per git step: restoring the clone's config (one small file read, compared) vs one git
 *    process (`rev-parse`), the cheapest step there is.
 *
 * Everything is local: temporary directories, a seeded bare repository as the remote.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { restoreCloneConfig } from "../src/adapters/simple-git/clone-integrity.js";
import { createSimpleGitAdapter } from "../src/adapters/simple-git/index.js";
import { cardNames, commitInWorktree, createSeededRemote, gitIn, isolateGit } from "./git-fixture.js";

const run = promisify(execFile);
const CARDS = 12;
const RESTORES = 2_000;

await isolateGit();
const dir = await mkdtemp(join(tmpdir(), "rungate-bench-containment-"));

/** Unwraps a port result; a failure stops the benchmark. */
function must<T>(result: { isOk(): boolean; _unsafeUnwrap(): T; _unsafeUnwrapErr(): unknown }): T {
  if (result.isOk()) return result._unsafeUnwrap();
  throw new Error(`git port failed: ${JSON.stringify(result._unsafeUnwrapErr())}`);
}

async function time<T>(body: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const value = await body();
  return [performance.now() - start, value];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

try {
  const remote = await createSeededRemote(dir);
  const git = createSimpleGitAdapter({ root: join(dir, "repos") });
  const { clone_path } = must(await git.ensureClone({ project_id: "p1", repo_url: remote }));
  const samples = {
    worktree: [] as number[],
    rawWorktree: [] as number[],
    importWork: [] as number[],
    headSha: [] as number[],
    checkTree: [] as number[],
  };
  for (let n = 1; n <= CARDS; n += 1) {
    const { branch, assignment_id } = cardNames(n);
    const { base_sha } = must(await git.createFeatureBranch({ clone_path, branch, base_branch: "main" }));
    const [made, { worktree_path }] = await time(async () =>
      must(await git.createWorktree({ clone_path, branch, assignment_id })),
    );
    samples.worktree.push(made);
    // The old way, on a branch of its own so both variants do the same work.
    const raw = join(dir, "raw-worktrees", assignment_id);
    await gitIn(clone_path, ["branch", "--no-track", `raw-${n}`, base_sha]);
    const [rawMade] = await time(() =>
      gitIn(clone_path, ["-c", "core.hooksPath=/dev/null", "worktree", "add", "--quiet", raw, `raw-${n}`]),
    );
    samples.rawWorktree.push(rawMade);
    await commitInWorktree(worktree_path, n);
    const [headTook] = await time(async () => must(await git.headSha({ clone_path, ref: branch })));
    samples.headSha.push(headTook);
    const [imported, work] = await time(async () =>
      must(await git.importWork({ clone_path, worktree_path, branch, base_sha })),
    );
    if (work.findings.length > 0) throw new Error(`unexpected findings: ${JSON.stringify(work.findings)}`);
    samples.importWork.push(imported);
    const [checked] = await time(async () => {
      const { tree_path } = must(
        await git.prepareCheckTree({
          clone_path,
          tree_name: `${assignment_id}-unit`,
          head_sha: work.head_sha,
        }),
      );
      must(await git.inspectCheckTree({ clone_path, tree_path, head_sha: work.head_sha }));
      must(await git.removeCheckTree({ clone_path, tree_path }));
    });
    samples.checkTree.push(checked);
  }

  // Config immunity: what every step adds, against the cheapest git process.
  const ctx = {
    adapter: "bench",
    root: join(dir, "repos"),
    run: () => {
      throw new Error("not used");
    },
    env: {},
    credentials: undefined,
    redact: (t: string) => t,
  } as unknown as Parameters<typeof restoreCloneConfig>[0];
  const restoreStart = performance.now();
  for (let i = 0; i < RESTORES; i += 1) must(await restoreCloneConfig(ctx, clone_path));
  const restoreMs = (performance.now() - restoreStart) / RESTORES;
  const processes: number[] = [];
  for (let i = 0; i < 50; i += 1) {
    const [took] = await time(() => run("git", ["rev-parse", "HEAD"], { cwd: clone_path }));
    processes.push(took);
  }

  const row = (what: string, ms: number, base: number, baseName: string) =>
    console.log(
      `| ${what} | ${ms.toFixed(2)} | ${base.toFixed(2)} (${baseName}) | ${(ms / base).toFixed(2)}× |`,
    );
  console.log(`\n${CARDS} cards, seeded repository of ~50 files; mean ms per card`);
  console.log("| step | ms | baseline ms | ratio |\n|---|---|---|---|");
  row(
    "`createWorktree` (standalone repository)",
    mean(samples.worktree),
    mean(samples.rawWorktree),
    "raw `git worktree add`",
  );
  row("`importWork`", mean(samples.importWork), mean(samples.headSha), "`headSha`, the old read");
  row(
    "check tree: prepare + inspect + remove",
    mean(samples.checkTree),
    mean(samples.rawWorktree),
    "raw `git worktree add`",
  );
  row("clone config restored (per step)", restoreMs, mean(processes), "one `git rev-parse`");
} finally {
  await rm(dir, { recursive: true, force: true });
}
