import type { ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { ChangedFile } from "../core/schemas/changed-file.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { PortCallOptions } from "../ports/port-error.js";
import type { OrchestratorDeps } from "./deps.js";

/** What a card changed from its base to one head, read from the clone, and how to read more of it. */
export interface CardDiff {
  readonly clone_path: string;
  /** The card's base (the head itself for a card without one: nothing changed). */
  readonly base: string;
  readonly head: string;
  readonly files: ChangedFile[];
  /** The call options (signal) every further read of this diff passes on. */
  readonly opts: PortCallOptions;
}

/**
 * The files a card changed from its base to `head`, as the clone (never the agent's worktree) has them:
 * what the path rules, the secret scan and the dependency reading all start from.
 */
export function cardDiff(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: Pick<CardAssignment, "base_sha">,
  head: string,
  signal: AbortSignal | undefined,
): ResultAsync<CardDiff, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  const clone_path = run.worktree_root ?? "";
  const base = assignment.base_sha ?? head;
  return deps.git
    .changedFiles({ clone_path, base, head }, opts)
    .map((files) => ({ clone_path, base, head, files, opts }));
}
