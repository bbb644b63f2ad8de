/**
 * Disk used by 20 card worktrees (issue 5), as a plain script: `npx tsx bench/git-disk.ts`.
 *
 * Builds, from one local bare remote seeded with ~50 files:
 * - "one checkout": a normal `git clone file://…` (working tree + its `.git`, objects fetched as a pack, as
 *   from a server; a plain-path clone would hard-link the remote's objects instead);
 * - the adapter's layout for 20 cards: one bare clone (`ensureClone`) plus 20 worktrees (`createFeatureBranch`
 *   + `createWorktree`), each with one committed change (a ~50-byte new file);
 * - for comparison, 20 full clones with the same change each.
 * Then reports, per tree, the allocated size (`du -sk`, 4 KiB blocks) and the apparent size (file sizes summed
 * walking with node:fs, each hard-linked inode once). Everything is local, in a temporary directory.
 */
import { execFile } from "node:child_process";
import { lstat, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createSimpleGitAdapter } from "../src/adapters/simple-git/index.js";
import { cardNames, commitInWorktree, createSeededRemote, gitIn, isolateGit } from "./git-fixture.js";

const CARDS = 20;
const run = promisify(execFile);

/** `du -sk` of the given paths together (hard links counted once), in KiB. */
async function duKib(...paths: string[]): Promise<number> {
  const { stdout } = await run("du", ["-skc", ...paths]);
  const total = stdout.trim().split("\n").at(-1)?.split("\t")[0];
  return Number(total);
}

/** Apparent size of every regular file and symlink under `path` (each inode once), in bytes. */
async function apparentBytes(path: string, seen = new Set<string>()): Promise<number> {
  const stats = await lstat(path);
  const key = `${stats.dev}:${stats.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  if (!stats.isDirectory()) return stats.size;
  let sum = 0;
  for (const entry of await readdir(path)) sum += await apparentBytes(join(path, entry), seen);
  return sum;
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

const home = await isolateGit();
const dir = await mkdtemp(join(tmpdir(), "rungate-bench-git-disk-"));
try {
  const remote = await createSeededRemote(dir);
  const url = `file://${remote}`;

  // One checkout: a normal clone with its .git.
  const checkout = join(dir, "checkout");
  await gitIn(dir, ["clone", "--quiet", url, checkout]);

  // The adapter: one bare clone, 20 worktrees, one commit each.
  const root = join(dir, "adapter");
  const git = createSimpleGitAdapter({ root });
  const clone = await git.ensureClone({ project_id: "shop", repo_url: url });
  if (clone.isErr()) throw new Error(JSON.stringify(clone.error));
  const { clone_path } = clone.value;
  const worktrees: string[] = [];
  for (let n = 1; n <= CARDS; n += 1) {
    const { branch, assignment_id } = cardNames(n);
    const made = await git
      .createFeatureBranch({ clone_path, branch, base_branch: "main" })
      .andThen(() => git.createWorktree({ clone_path, branch, assignment_id }));
    if (made.isErr()) throw new Error(JSON.stringify(made.error));
    await commitInWorktree(made.value.worktree_path, n);
    worktrees.push(made.value.worktree_path);
  }

  // For comparison: 20 full clones, one change each.
  const clones: string[] = [];
  for (let n = 1; n <= CARDS; n += 1) {
    const path = join(dir, "clones", `card-${n}`);
    await gitIn(dir, ["clone", "--quiet", url, path]);
    await commitInWorktree(path, n);
    clones.push(path);
  }

  // One change, as a file: what each card adds to its working tree.
  const changeBytes = (await lstat(join(worktrees[0] ?? "", "src/cart/total-1.ts"))).size;

  const rows: [string, number, number][] = [];
  const measure = async (name: string, ...paths: string[]) => {
    const seen = new Set<string>();
    let bytes = 0;
    for (const path of paths) bytes += await apparentBytes(path, seen);
    rows.push([name, await duKib(...paths), bytes]);
  };
  await measure("remote (bare, seeded)", remote);
  await measure("one checkout (git clone: working tree + .git)", checkout);
  await measure("  of which .git", join(checkout, ".git"));
  await measure("adapter: bare clone + 20 worktrees (all of root)", root);
  await measure("  of which the bare clone (objects, refs, worktrees/ admin dirs)", clone_path);
  await measure(
    "    objects (loose: a fetch of < 100 objects is unpacked; 20 commits)",
    join(clone_path, "objects"),
  );
  await measure("    worktrees/ (20 admin dirs: index, HEAD, logs…)", join(clone_path, "worktrees"));
  await measure("    hooks/ (git init's sample hooks)", join(clone_path, "hooks"));
  await measure("  of which the 20 worktree folders", `${clone_path}.worktrees`);
  await measure("  one worktree folder", worktrees[0] ?? "");
  await measure("20 full clones, one change each", ...clones);

  console.log(`\n## disk, ${CARDS} cards, ${changeBytes}-byte change each`);
  console.log("| tree | du -sk (KiB) | apparent (KiB) |");
  for (const [name, du, bytes] of rows) console.log(`| ${name} | ${du} | ${kib(bytes)} |`);
  const get = (prefix: string) => rows.find(([name]) => name.startsWith(prefix)) ?? ["", 0, 0];
  const [, checkoutDu, checkoutBytes] = get("one checkout");
  const [, gitDirDu, gitDirBytes] = get("  of which .git");
  const [, adapterDu, adapterBytes] = get("adapter:");
  const [, clonesDu, clonesBytes] = get("20 full clones");
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  // Literal reading of the target: 20 worktrees vs one checkout plus the 20 changes.
  const literalDu = checkoutDu + CARDS * 4; // each change is one new file: one 4 KiB block
  const literalBytes = checkoutBytes + CARDS * changeBytes;
  // Worktree overhead reading: one .git plus 20 working trees (the files each card needs) plus the changes.
  const idealDu = gitDirDu + CARDS * (checkoutDu - gitDirDu) + CARDS * 4;
  const idealBytes = gitDirBytes + CARDS * (checkoutBytes - gitDirBytes) + CARDS * changeBytes;
  console.log("\n| comparison | du ratio | apparent ratio |");
  console.log(
    `| adapter vs one checkout + 20 changes | ${ratio(adapterDu, literalDu)} | ${ratio(adapterBytes, literalBytes)} |`,
  );
  console.log(
    `| adapter vs one .git + 20 working trees + 20 changes | ${ratio(adapterDu, idealDu)} | ${ratio(adapterBytes, idealBytes)} |`,
  );
  console.log(
    `| adapter vs 20 full clones | ${ratio(adapterDu, clonesDu)} | ${ratio(adapterBytes, clonesBytes)} |`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
}
