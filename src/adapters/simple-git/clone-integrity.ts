/**
 * The clone's own configuration, written by rungate and restored before every step. No agent reaches it
 * through git (agents get repositories of their own: standalone-repository.ts), but an agent outside a
 * sandbox runs as the same user and could write it by path; the files git reads as configuration or as
 * attributes are therefore put back to rungate's before each step, and the command-line settings of
 * run-git.ts switch off the mechanisms that run programs even in the moment between. Only a sandbox
 * (`rungate/sandbox`) closes that moment: see docs/security.md.
 */
import { existsSync } from "node:fs";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ResultAsync } from "neverthrow";
import type { PortError } from "../../ports/port-error.js";
import { fsCall, type GitContext, REMOTE_URL_FILE } from "./git-repo.js";

/**
 * Files of a bare clone that git reads as configuration, attributes or object sources and that rungate
 * never writes: removed whenever found. (`hooks/` needs no entry: hooks are off on every command.)
 */
const FOREIGN_FILES = [
  "config.worktree",
  "commondir",
  join("info", "attributes"),
  join("objects", "info", "alternates"),
  join("objects", "info", "http-alternates"),
];

/** The clone's whole config, as rungate writes it: a bare repository with one remote. */
export function cloneConfig(repo_url: string): string {
  const url = repo_url.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return [
    "[core]",
    "\trepositoryformatversion = 0",
    "\tfilemode = true",
    "\tbare = true",
    '[remote "origin"]',
    `\turl = "${url}"`,
    "\tfetch = +refs/heads/*:refs/remotes/origin/*",
    "",
  ].join("\n");
}

/** Writes the clone's config as {@link cloneConfig}. */
export function writeCloneConfig(
  ctx: GitContext,
  clone: string,
  repo_url: string,
): ResultAsync<void, PortError> {
  return fsCall(ctx, "write", () => replaceConfig(clone, cloneConfig(repo_url)));
}

/** Replaces the clone's config atomically: a reader sees the old file or the new, never half of one. */
async function replaceConfig(clone: string, content: string): Promise<void> {
  const temporary = join(clone, "config.rungate-tmp");
  await writeFile(temporary, content, { mode: 0o644 });
  await rename(temporary, join(clone, "config"));
}

/** Whether anything had to be put back: the config rewritten, foreign files removed. */
export interface CloneRestoration {
  readonly config_rewritten: boolean;
  readonly removed: readonly string[];
}

/**
 * Puts the clone's configuration back to rungate's: the config rewritten when it differs from
 * {@link cloneConfig} of the recorded remote URL, and {@link FOREIGN_FILES} removed. A clone without a
 * recorded URL (made by hand) is left as it is.
 */
export function restoreCloneConfig(ctx: GitContext, clone: string): ResultAsync<CloneRestoration, PortError> {
  return fsCall(ctx, "restore", async () => {
    const recorded = await readFile(join(clone, REMOTE_URL_FILE), "utf8").catch(() => null);
    if (recorded === null) return { config_rewritten: false, removed: [] };
    const expected = cloneConfig(recorded.trim());
    const actual = await readFile(join(clone, "config"), "utf8").catch(() => null);
    let config_rewritten = false;
    if (actual !== expected) {
      await replaceConfig(clone, expected);
      config_rewritten = true;
    }
    // A synchronous existence test per file: a missing file is the usual answer, and an async call that
    // fails with ENOENT costs several times more (measured in bench/git-containment.ts).
    const removed = FOREIGN_FILES.filter((file) => existsSync(join(clone, file)));
    for (const file of removed) await rm(join(clone, file), { recursive: true, force: true });
    return { config_rewritten, removed };
  });
}
