import { errAsync, ok, okAsync, type ResultAsync, safeTry } from "neverthrow";
import type { PortError } from "../../ports/port-error.js";
import { exitError, type GitContext, gitSilent, tryGit } from "./git-repo.js";
import { notFound } from "./map-simple-git-errors.js";

/** One ref as `git for-each-ref` reports it. */
export interface RefEntry {
  /** The object the ref points at (a full sha). */
  readonly sha: string;
  /** Its type: `commit` for a branch in practice; `tag`, `tree` or `blob` are possible. */
  readonly type: string;
  /**
   * Where the ref is checked out (`%(worktreepath)`: a linked worktree or the bare clone's own HEAD), `""`
   * when nowhere; `null` when not asked for.
   */
  readonly worktree: string | null;
}

/** Refs found by {@link lookupRefs}, by full refname; a name that is absent has no entry. */
export type RefTable = ReadonlyMap<string, RefEntry>;

const FULL_SHA = /^([0-9a-f]{40}|[0-9a-f]{64})$/i;

/**
 * The refs among `refnames` (full names, `refs/…`) that exist, in ONE `git for-each-ref` instead of one
 * `rev-parse` per name. for-each-ref matches its patterns by prefix and by glob, so only exact names are
 * kept. Records are `<refname> NUL <type> NUL <sha> NUL [<worktree path> NUL] LF`: a refname holds no NUL
 * or LF and a path no NUL, so `NUL LF` ends a record whatever the path holds. `with_worktrees` adds
 * `%(worktreepath)` (git 2.23+). Runs silent (see git-trace.ts): no match prints nothing.
 */
export function lookupRefs(
  ctx: GitContext,
  clone: string,
  refnames: readonly string[],
  signal: AbortSignal | undefined,
  with_worktrees = false,
): ResultAsync<RefTable, PortError> {
  const wanted = new Set(refnames);
  if (wanted.size === 0) return okAsync(new Map());
  const format = `%(refname)%00%(objecttype)%00%(objectname)%00${with_worktrees ? "%(worktreepath)%00" : ""}`;
  return gitSilent(ctx, clone, ["for-each-ref", `--format=${format}`, ...wanted], signal).map((stdout) => {
    const table = new Map<string, RefEntry>();
    for (const record of stdout.split("\u0000\n")) {
      const [name = "", type = "", sha = "", worktree] = record.split("\u0000");
      if (!wanted.has(name) || !FULL_SHA.test(sha)) continue;
      table.set(name, { sha, type, worktree: with_worktrees ? (worktree ?? "") : null });
    }
    return table;
  });
}

/**
 * Whether `candidate` names a commit: its full sha, or `null`. One `rev-parse --absolute-git-dir --verify
 * --quiet <candidate>^{commit}` (exit 1: no such commit). The git dir is asked for so that the command always
 * prints something (simple-git waits 50 ms for a process that printed nothing).
 */
function verifyCommit(
  ctx: GitContext,
  clone: string,
  candidate: string,
  signal: AbortSignal | undefined,
): ResultAsync<string | null, PortError> {
  const args = ["rev-parse", "--absolute-git-dir", "--verify", "--quiet", `${candidate}^{commit}`];
  return tryGit(ctx, clone, args, signal).andThen((outcome) => {
    if (outcome.exit_code === 0) return okAsync(outcome.stdout.trim().split("\n").at(-1) ?? "");
    return outcome.exit_code === 1 ? okAsync(null) : errAsync(exitError(ctx, args, outcome));
  });
}

/**
 * The first of `candidates` that names a commit, as a full sha; `null` when none does. A `refs/…` candidate
 * is answered from `table` (the {@link lookupRefs} of every `refs/…` candidate): absent means absent, a ref
 * to a commit is its sha; a ref to anything else (an annotated tag, …) is peeled by `rev-parse`, as is any
 * other candidate (a sha, `origin/x`, `main~1`).
 */
export function resolveAmong(
  ctx: GitContext,
  clone: string,
  table: RefTable,
  candidates: readonly string[],
  signal: AbortSignal | undefined,
): ResultAsync<string | null, PortError> {
  return safeTry<string | null, PortError>(async function* () {
    for (const candidate of candidates) {
      if (candidate.startsWith("refs/")) {
        const entry = table.get(candidate);
        if (entry === undefined) continue;
        if (entry.type === "commit") return ok(entry.sha);
      }
      const sha = yield* verifyCommit(ctx, clone, candidate, signal);
      if (sha !== null) return ok(sha);
    }
    return ok(null);
  });
}

/** The `refs/…` names among candidates (what {@link lookupRefs} is asked for). */
function refNames(candidates: readonly string[]): string[] {
  return candidates.filter((candidate) => candidate.startsWith("refs/"));
}

/** {@link resolveAmong} after one {@link lookupRefs} of the candidates' ref names. */
export function resolveFirst(
  ctx: GitContext,
  clone: string,
  candidates: readonly string[],
  signal: AbortSignal | undefined,
): ResultAsync<string | null, PortError> {
  return lookupRefs(ctx, clone, refNames(candidates), signal).andThen((table) =>
    resolveAmong(ctx, clone, table, candidates, signal),
  );
}

/**
 * Where a ref is looked for, like the in-memory fake: a full sha or a `refs/…` name as it is; otherwise the
 * local branch, then the remote-tracking branch `origin/<ref>` (a clone has no local copy of the base
 * branch, so `main` means the fetched `origin/main`), then whatever git makes of it (`origin/x`, an
 * abbreviated sha, `main~1`).
 */
export function refCandidates(ref: string): string[] {
  if (FULL_SHA.test(ref) || ref.startsWith("refs/")) return [ref];
  return [`refs/heads/${ref}`, `refs/remotes/origin/${ref}`, ref];
}

/** The commit `ref` names ({@link refCandidates}), or `not_found`. */
export function resolveRef(
  ctx: GitContext,
  clone: string,
  ref: string,
  signal: AbortSignal | undefined,
): ResultAsync<string, PortError> {
  return resolveFirst(ctx, clone, refCandidates(ref), signal).andThen((sha) =>
    sha === null ? errAsync(notFound("ref_not_found", "ref", ref)) : okAsync(sha),
  );
}

/**
 * The revision git should read for `ref` when it is most likely its first candidate: `<candidate>^{commit}`.
 * A command given this answers exactly as after {@link resolveRef} whenever it succeeds (the first candidate
 * that names a commit is the one {@link resolveRef} would pick); when it fails, the caller resolves the refs
 * and runs the command again, so a missing ref is still `not_found`.
 */
export function likelyRevision(ref: string): string {
  return `${refCandidates(ref)[0] ?? ref}^{commit}`;
}
