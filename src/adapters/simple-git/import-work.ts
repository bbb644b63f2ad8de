/**
 * Reading an agent's work back as a stranger's: its repository is a remote to rungate's clone (`ls-remote`
 * and `fetch` through git's transport, whose other side is untrusted by design; its config, hooks and
 * attributes never apply to rungate's process), and what it committed is judged before the clone's branch
 * moves. Every way an attempt can be unclean becomes a finding that names it.
 */
import { lstat } from "node:fs/promises";
import { basename, join } from "node:path";
import { err, ok, ResultAsync, safeTry } from "neverthrow";
import type { AgentWorkFinding, ImportedWork } from "../../ports/git-port.js";
import type { PortError } from "../../ports/port-error.js";
import { credentialEnv } from "./git-env.js";
import {
  checkedRemoteUrl,
  exitError,
  type GitContext,
  gitSilent,
  isAncestor,
  REMOTE_URL_FILE,
  readSmallFile,
  tryGit,
} from "./git-repo.js";
import { excerpt } from "./map-simple-git-errors.js";
import { workTreeDifference } from "./work-tree-state.js";

/** How many foreign refs or moved remote refs are named at most. */
const MAX_NAMED_REFS = 20;

/** What `ls-remote --symref` printed: HEAD's target (when symbolic), and every ref with its sha. */
export interface RemoteListing {
  readonly head_target: string | null;
  readonly refs: ReadonlyMap<string, string>;
}

/** Parses `git ls-remote --symref` output (`ref: <target>\tHEAD` lines, then `<sha>\t<ref>` lines). */
export function parseLsRemote(stdout: string): RemoteListing {
  let head_target: string | null = null;
  const refs = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const tab = line.indexOf("\t");
    if (tab < 0) continue;
    const left = line.slice(0, tab);
    const name = line.slice(tab + 1);
    if (left.startsWith("ref: ")) {
      if (name === "HEAD") head_target = left.slice("ref: ".length);
    } else if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(left)) {
      refs.set(name, left);
    }
  }
  return { head_target, refs };
}

function named(list: readonly string[]): string {
  const shown = list.slice(0, MAX_NAMED_REFS).join(", ");
  return list.length > MAX_NAMED_REFS ? `${shown} and ${list.length - MAX_NAMED_REFS} more` : shown;
}

/** Judges HEAD and the refs of an agent's repository: the card's branch must be all there is, and checked out. */
export function judgeListing(listing: RemoteListing, branch: string): AgentWorkFinding[] {
  const findings: AgentWorkFinding[] = [];
  const own = `refs/heads/${branch}`;
  if (listing.head_target === null) {
    findings.push({
      code: "detached_head",
      message: `the agent left HEAD detached${listing.refs.has("HEAD") ? ` at ${listing.refs.get("HEAD")?.slice(0, 12)}` : ""} instead of on ${branch}`,
    });
  } else if (listing.head_target !== own) {
    findings.push({
      code: "wrong_branch",
      message: `the agent left HEAD on ${listing.head_target} instead of ${own}`,
    });
  }
  if (!listing.refs.has(own)) {
    findings.push({ code: "wrong_branch", message: `the agent's repository no longer has ${own}` });
  }
  const foreign = [...listing.refs.keys()].filter((ref) => ref !== own && ref !== "HEAD").sort();
  if (foreign.length > 0) {
    findings.push({
      code: "foreign_refs",
      message: `the agent wrote refs other than ${own}: ${named(foreign)}`,
    });
  }
  return findings;
}

/** The ref in the clone that receives a fetched agent branch before it is judged. */
function importRef(worktree_path: string): string {
  return `refs/rungate/imports/${basename(worktree_path)}`;
}

/**
 * Lists the agent's repository; on a listing git refuses (its `.git` replaced, broken or gone), the finding
 * that says so instead of an error: a broken repository is the agent's failure, not the port's.
 */
function listAgentRepository(
  ctx: GitContext,
  clone: string,
  worktree_path: string,
  signal: AbortSignal | undefined,
): ResultAsync<RemoteListing | AgentWorkFinding, PortError> {
  return safeTry<RemoteListing | AgentWorkFinding, PortError>(async function* () {
    // lstat, not stat: a `.git` that is a link (to the clone, to another card's repository) is not the
    // repository rungate made, even though git would follow it.
    const kind = yield* ResultAsync.fromSafePromise(
      lstat(join(worktree_path, ".git")).then(
        (stats) => (stats.isDirectory() ? "directory" : stats.isSymbolicLink() ? "link" : "file"),
        () => "missing",
      ),
    );
    if (kind !== "directory") {
      return ok({
        code: "repository_replaced" as const,
        message: `the agent's worktree has no .git directory any more (${kind === "missing" ? "removed" : `replaced by a ${kind}`})`,
      });
    }
    const outcome = yield* tryGit(ctx, clone, ["ls-remote", "--symref", worktree_path], signal);
    if (outcome.exit_code !== 0) {
      return ok({
        code: "repository_replaced" as const,
        message: `git cannot read the agent's repository: ${excerpt(outcome.stderr, ctx.redact, 300)}`,
      });
    }
    return ok(parseLsRemote(outcome.stdout));
  });
}

/**
 * Branches of the remote, other than `branch`, whose tip differs from the clone's `refs/remotes/origin/*`
 * (moved, created or deleted since the last fetch). One `ls-remote origin`, with credentials.
 */
export function remoteRefsMoved(
  ctx: GitContext,
  clone: string,
  branch: string,
  signal: AbortSignal | undefined,
): ResultAsync<string[], PortError> {
  return safeTry<string[], PortError>(async function* () {
    // The recorded URL is what the clone's config was just restored from (clone-integrity.ts).
    const recorded = (yield* readSmallFile(ctx, join(clone, REMOTE_URL_FILE)))?.trim();
    const url = recorded ?? (yield* checkedRemoteUrl(ctx, clone, signal));
    const remoteArgs = ["ls-remote", "--heads", "origin"];
    const remote = yield* tryGit(
      ctx,
      clone,
      remoteArgs,
      signal,
      credentialEnv(ctx.credentials, url, ctx.env),
    );
    if (remote.exit_code !== 0) return err(exitError(ctx, remoteArgs, remote));
    const localArgs = ["for-each-ref", "--format=%(objectname)\t%(refname)", "refs/remotes/origin/"];
    const local = yield* tryGit(ctx, clone, localArgs, signal);
    if (local.exit_code !== 0) return err(exitError(ctx, localArgs, local));
    const now = parseLsRemote(remote.stdout).refs;
    const known = new Map<string, string>();
    for (const [ref, sha] of parseLsRemote(local.stdout).refs) {
      if (ref !== "refs/remotes/origin/HEAD")
        known.set(ref.replace(/^refs\/remotes\/origin\//, "refs/heads/"), sha);
    }
    const own = `refs/heads/${branch}`;
    const moved = new Set<string>();
    for (const [ref, sha] of now) if (ref !== own && known.get(ref) !== sha) moved.add(ref);
    for (const ref of known.keys()) if (ref !== own && !now.has(ref)) moved.add(ref);
    return ok([...moved].sort());
  });
}

/**
 * Imports the card's branch from the agent's repository at `worktree_path` into `clone` (see
 * `GitPort.importWork`). The fetch checks every object it receives (`fetch.fsckObjects`) and lands on a
 * private ref; `refs/heads/<branch>` of the clone moves to it only when nothing was found.
 */
export function importAgentWork(
  ctx: GitContext,
  clone: string,
  input: { readonly worktree_path: string; readonly branch: string; readonly base_sha: string },
  signal: AbortSignal | undefined,
): ResultAsync<ImportedWork, PortError> {
  return safeTry<ImportedWork, PortError>(async function* () {
    const { worktree_path, branch, base_sha } = input;
    const own = `refs/heads/${branch}`;
    // Telling is best effort: an unreachable remote must not stop the agent's work from being judged.
    const moved = yield* remoteRefsMoved(ctx, clone, branch, signal).orElse((error) =>
      error.kind === "cancelled" ? err(error) : ok<string[], PortError>([]),
    );
    const listed = yield* listAgentRepository(ctx, clone, worktree_path, signal);
    if ("code" in listed) return ok({ head_sha: base_sha, findings: [listed], remote_refs_moved: moved });
    const findings = judgeListing(listed, branch);
    const tip = listed.refs.get(own);
    if (tip === undefined) return ok({ head_sha: base_sha, findings, remote_refs_moved: moved });

    const target = importRef(worktree_path);
    const fetch = [
      "fetch",
      "--quiet",
      "--no-tags",
      "--no-write-fetch-head",
      "--no-recurse-submodules",
      "--no-auto-gc",
      worktree_path,
      `+${own}:${target}`,
    ];
    // Every object the agent made is checked before it lands (broken or malformed objects are refused).
    const fsck = { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "fetch.fsckObjects", GIT_CONFIG_VALUE_0: "true" };
    const fetched = yield* tryGit(ctx, clone, fetch, signal, fsck, true);
    if (fetched.exit_code !== 0) {
      findings.push({
        code: "repository_replaced",
        message: `git refused the agent's commits: ${excerpt(fetched.stderr, ctx.redact, 300)}`,
      });
      return ok({ head_sha: base_sha, findings, remote_refs_moved: moved });
    }
    const resolved = ["rev-parse", "--verify", "--quiet", `${target}^{commit}`];
    const head = (yield* tryGit(ctx, clone, resolved, signal)).stdout.trim();
    if (!(yield* isAncestor(ctx, clone, base_sha, head, signal))) {
      findings.push({
        code: "diverged_from_base",
        message: `${own} at ${head.slice(0, 12)} no longer contains the base commit ${base_sha.slice(0, 12)}`,
      });
    }
    const dirty = yield* workTreeDifference(ctx, clone, worktree_path, head, true, signal);
    if (dirty.count > 0) {
      const more = dirty.count > dirty.paths.length ? ` and ${dirty.count - dirty.paths.length} more` : "";
      findings.push({
        code: "uncommitted_changes",
        message: `the agent left ${dirty.count} uncommitted path(s): ${dirty.paths.join(", ")}${more}`,
      });
    }
    if (findings.length === 0) {
      yield* gitSilent(ctx, clone, ["update-ref", "-m", "rungate: import agent work", own, head], signal);
    }
    return ok({ head_sha: head, findings, remote_refs_moved: moved });
  });
}
