/**
 * Repositories of their own for what runs untrusted code: each agent's worktree and each check tree is a
 * standalone repository (its own `.git` directory: config, hooks, refs, index) that borrows the clone's
 * objects read-only through `objects/info/alternates`. Nothing written there is ever read by a git process
 * of rungate's as configuration: rungate's processes run in the clone, whose config is its own, and read an
 * agent's repository only as a remote (`ls-remote`, `fetch`: git's transport treats the other side as a
 * stranger) or as a plain work tree under a temporary index (see work-tree-state.ts).
 *
 * A linked worktree (`git worktree add`) would share the clone's `config`, `info/` and hooks with the agent:
 * one `git config core.fsmonitor <program>` in a worktree would run that program in rungate's next `git
 * status`, for every card of the project. That is why no agent ever gets one.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ok, type ResultAsync, safeTry } from "neverthrow";
import type { CardWorkspace } from "../../ports/git-port.js";
import type { PortError } from "../../ports/port-error.js";
import {
  fsCall,
  type GitContext,
  git,
  gitSilent,
  makeDirectory,
  moveIntoPlace,
  removeTree,
} from "./git-repo.js";

/**
 * What HEAD of a new standalone repository names; a detached one may come with `refs` (full ref name → sha)
 * written beside it, such as the clone's `refs/remotes/origin/*`, so that a check can compare with
 * `origin/main` as it could in the clone.
 */
export type StandaloneHead =
  | { readonly branch: string; readonly sha: string }
  | { readonly detached: string; readonly refs?: ReadonlyMap<string, string> };

/**
 * Builds a standalone repository with `head` checked out at `target`: made in a temporary directory beside
 * it and moved into place, so that a crash never leaves half a repository at `target` (what it leaves beside
 * it is removed by the next build of the same name). `false` when
 * something appeared at `target` meanwhile (the temporary directory is removed either way).
 *
 * Every git process here runs inside the new repository while rungate alone has touched it: `git init` with
 * no template (no sample hooks), (not `--quiet`: a process that prints nothing makes simple-git wait 50 ms), then `read-tree -u --reset HEAD` to fill the index and the files. Refs and
 * HEAD are written as files, which spares a process each.
 */
export function buildStandaloneRepository(
  ctx: GitContext,
  clone: string,
  target: string,
  head: StandaloneHead,
  signal: AbortSignal | undefined,
): ResultAsync<boolean, PortError> {
  const prefix = `.tmp-${basename(target)}-`;
  const temporary = join(dirname(target), `${prefix}${randomUUID()}`);
  const dotGit = join(temporary, ".git");
  const build = safeTry<boolean, PortError>(async function* () {
    yield* makeDirectory(ctx, dirname(target));
    // What a build of the same tree killed half-way left: the caller holds the card (its lease, the clone
    // lock), so no live build of this name can be running.
    yield* fsCall(ctx, "clean", async () => {
      for (const name of await readdir(dirname(target))) {
        if (name.startsWith(prefix)) await rm(join(dirname(target), name), { recursive: true, force: true });
      }
    });
    yield* git(ctx, dirname(target), ["init", "--template=", temporary], signal);
    yield* fsCall(ctx, "write", async () => {
      await mkdir(join(dotGit, "objects", "info"), { recursive: true });
      await writeFile(join(dotGit, "objects", "info", "alternates"), `${join(clone, "objects")}\n`);
      if ("branch" in head) {
        const ref = join(dotGit, "refs", "heads", ...head.branch.split("/"));
        await mkdir(dirname(ref), { recursive: true });
        await writeFile(ref, `${head.sha}\n`);
        await writeFile(join(dotGit, "HEAD"), `ref: refs/heads/${head.branch}\n`);
      } else {
        await writeFile(join(dotGit, "HEAD"), `${head.detached}\n`);
        const refs = [...(head.refs ?? new Map<string, string>())].sort(([a], [b]) => (a < b ? -1 : 1));
        if (refs.length > 0) {
          const lines = refs.map(([ref, sha]) => `${sha} ${ref}\n`).join("");
          await writeFile(
            join(dotGit, "packed-refs"),
            `# pack-refs with: peeled fully-peeled sorted \n${lines}`,
          );
        }
      }
    });
    yield* gitSilent(ctx, temporary, ["read-tree", "-u", "--reset", "HEAD"], signal);
    return ok(yield* moveIntoPlace(ctx, temporary, target));
  });
  return build.andThen((moved) => removeTree(temporary).map(() => moved));
}

/** `<clone>/rungate-worktrees`: which branch each assignment's worktree holds, written by rungate only. */
export function worktreeRecordsDir(clone: string): string {
  return join(clone, "rungate-worktrees");
}

/** Records that the worktree of `assignment_id` holds `branch`. */
export function writeWorktreeRecord(
  ctx: GitContext,
  clone: string,
  assignment_id: string,
  branch: string,
): ResultAsync<void, PortError> {
  return fsCall(ctx, "write", async () => {
    await mkdir(worktreeRecordsDir(clone), { recursive: true });
    await writeFile(join(worktreeRecordsDir(clone), assignment_id), `${branch}\n`, { mode: 0o600 });
  });
}

/** The branch recorded for the worktree of `assignment_id`, or `null`. */
export function readWorktreeRecord(
  ctx: GitContext,
  clone: string,
  assignment_id: string,
): ResultAsync<string | null, PortError> {
  return fsCall(ctx, "read", () =>
    readFile(join(worktreeRecordsDir(clone), assignment_id), "utf8").then(
      (text) => text.trim(),
      (error: unknown) => {
        if ((error as { code?: unknown }).code === "ENOENT") return null;
        throw error;
      },
    ),
  );
}

/** Every record: assignment id → branch. */
export function listWorktreeRecords(
  ctx: GitContext,
  clone: string,
): ResultAsync<ReadonlyMap<string, string>, PortError> {
  return fsCall(ctx, "readdir", async () => {
    const records = new Map<string, string>();
    let names: string[];
    try {
      names = await readdir(worktreeRecordsDir(clone));
    } catch (error) {
      if ((error as { code?: unknown }).code === "ENOENT") return records;
      throw error;
    }
    for (const name of names) {
      const branch = await readFile(join(worktreeRecordsDir(clone), name), "utf8").catch(() => null);
      if (branch !== null) records.set(name, branch.trim());
    }
    return records;
  });
}

/** Forgets the record of `assignment_id` (missing is fine). */
export function removeWorktreeRecord(clone: string, assignment_id: string): ResultAsync<void, never> {
  return removeTree(join(worktreeRecordsDir(clone), assignment_id));
}

/**
 * The cards' workspaces of a clone: every recorded assignment and every directory in `folder` (the clone's
 * worktrees directory), the latter with `branch: null` when rungate holds no record of it.
 */
export function listCardWorkspaces(
  ctx: GitContext,
  clone: string,
  folder: string,
): ResultAsync<CardWorkspace[], PortError> {
  return listWorktreeRecords(ctx, clone).andThen((records) =>
    fsCall(ctx, "readdir", () =>
      readdir(folder).catch((error: unknown) => {
        if ((error as { code?: unknown }).code === "ENOENT") return [] as string[];
        throw error;
      }),
    ).map((names) =>
      [...new Set([...records.keys(), ...names])].sort().map((assignment_id) => ({
        assignment_id,
        worktree_path: join(folder, assignment_id),
        branch: records.get(assignment_id) ?? null,
      })),
    ),
  );
}
