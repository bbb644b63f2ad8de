/**
 * The git adapter's cost over raw git (issue 5): one card's git work — first clone of the project, feature
 * branch from `main`, worktree, one commit by the "agent", changed files — through `createSimpleGitAdapter`
 * versus the same git commands run with `child_process.execFile`, in one run. The commit (plain git, 2
 * processes) is the same in both variants and counted in both; "the commit alone" measures it so it can be
 * subtracted. Everything is local: a bare repository seeded with ~50 files in a temporary directory is the
 * remote. Run with `npm run bench`; process counts and disk use come from `npx tsx bench/git-processes.ts`
 * and `npx tsx bench/git-disk.ts`; figures go to docs/benchmarks.md.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { createSimpleGitAdapter } from "../src/adapters/simple-git/index.js";
import {
  cardThroughAdapter,
  cardThroughRawGit,
  commitInWorktree,
  createSeededRemote,
  gitIn,
  isolateGit,
} from "./git-fixture.js";

const home = await isolateGit();
const dir = await mkdtemp(join(tmpdir(), "rungate-bench-git-"));
const remote = await createSeededRemote(dir);
const adapter = createSimpleGitAdapter({ root: join(dir, "adapter") });
const rawRoot = join(dir, "raw");
await mkdir(rawRoot);
// A worktree of its own for "the commit alone".
const commitRepo = join(dir, "commit-only");
await gitIn(dir, ["clone", "--quiet", remote, commitRepo]);

let card = 0;
const expectOneChange = (changed: number) => {
  if (changed !== 1) throw new Error(`expected 1 changed file, got ${changed}`);
};

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

describe("one card's git work (first clone, branch, worktree, commit, changed files)", () => {
  bench(
    "createSimpleGitAdapter",
    async () => {
      card += 1;
      expectOneChange(await cardThroughAdapter(adapter, remote, card));
    },
    { time: 15_000, warmupIterations: 3 },
  );
  bench(
    "raw git through execFile (same commands, no checks)",
    async () => {
      card += 1;
      expectOneChange(await cardThroughRawGit(rawRoot, remote, card));
    },
    { time: 10_000, warmupIterations: 3 },
  );
  bench(
    "the commit alone (plain git add + commit, in both variants above)",
    async () => {
      card += 1;
      await commitInWorktree(commitRepo, card);
    },
    { time: 5_000, warmupIterations: 3 },
  );
});
