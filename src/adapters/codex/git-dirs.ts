import { lstat, readFile, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";

/**
 * Where the repository of a worktree keeps its git data, which Codex must be able to write for the agent to
 * commit: its `workspace-write` sandbox keeps the worktree's top-level `.git`, and the git dir a `.git` file
 * names, read-only, even inside a directory given as writable, unless that very directory is given as a
 * writable root of its own (seen with Codex 0.163 on Linux).
 *
 * - `dirs`: absolute and canonical, the common git dir (objects, refs, config) first: the worktree's own
 *   `.git` directory for a standalone repository (what rungate's git adapter makes); for a linked worktree
 *   (`git worktree add`) the clone's `.git`, then the worktree's own git dir inside it
 *   (`<common>/worktrees/<name>`: its HEAD and index);
 * - `none`: no `.git` at all (Codex is then told to skip its repository check).
 */
export type WorktreeGitDir =
  | { readonly kind: "dirs"; readonly paths: readonly string[] }
  | { readonly kind: "none" };

/**
 * Finds the common git dir of `worktree` by reading files, as git does (`.git`, `gitdir:`, `commondir`), without
 * running git there: the repository is the agent's, and a git process in it would obey the config the agent
 * wrote (see docs/adapters/dispatch.md). A directory named this way becomes writable for the agent, and an
 * earlier attempt could have rewritten `.git` or `commondir`, so a `.git` file is trusted only when the git dir
 * it names points back at this worktree (git's own back-link `<gitdir>/gitdir`: it can only have been written
 * by someone who could already write there) and lies where git puts it, `<common>/worktrees/<name>`, with
 * `commondir` (when present) naming that same `<common>`. Rejects with the reason otherwise.
 */
export async function findWorktreeGitDir(worktree: string): Promise<WorktreeGitDir> {
  const dotGit = join(worktree, ".git");
  const stats = await lstat(dotGit).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return null;
    throw error;
  });
  if (stats === null) return { kind: "none" };
  if (stats.isDirectory()) return { kind: "dirs", paths: [await realpath(dotGit)] };
  if (!stats.isFile()) throw new Error(`${dotGit} is neither a directory nor a file`);

  const pointer = /^gitdir: (.+)$/m.exec(await readFile(dotGit, "utf8"))?.[1]?.trim();
  if (!pointer) throw new Error(`${dotGit} does not name a git dir ("gitdir: <path>")`);
  const gitDir = await realpath(resolve(worktree, pointer));
  const backLink = await readFile(join(gitDir, "gitdir"), "utf8").catch(() => "");
  const backTarget = backLink.trim();
  const pointsBack =
    backTarget !== "" &&
    isAbsolute(backTarget) &&
    (await realpath(backTarget).catch(() => null)) === (await realpath(dotGit));
  if (!pointsBack) {
    throw new Error(`the git dir ${gitDir} named by ${dotGit} does not point back at this worktree`);
  }
  if (basename(dirname(gitDir)) !== "worktrees") {
    throw new Error(
      `the git dir ${gitDir} named by ${dotGit} is not a linked worktree's (<common>/worktrees/<name>)`,
    );
  }
  const commonDir = dirname(dirname(gitDir));
  const named = await readFile(join(gitDir, "commondir"), "utf8").catch(() => null);
  if (named !== null && (await realpath(resolve(gitDir, named.trim())).catch(() => null)) !== commonDir) {
    throw new Error(`${join(gitDir, "commondir")} names another directory than ${commonDir}`);
  }
  return { kind: "dirs", paths: [commonDir, gitDir] };
}
