import { readdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { err, errAsync, ok, ResultAsync } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import { parseInput } from "../../core/parse.js";
import { dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import {
  defaultStateDir,
  isMarkerName,
  isTempMarkerName,
  readMarker,
  removeContextDir,
} from "../../internal/agent-dispatch/execution-markers.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";

/** What {@link pruneExecutionMarkers} accepts. */
export const PruneExecutionMarkersInput = z.strictObject({
  /** The dispatchers' `state_dir`; default the dispatchers' default, `<os tmpdir>/rungate-executions`. */
  state_dir: z.string().min(1).optional(),
  /**
   * Only what was last written longer ago than this goes. Choose it well above the longest time a run may
   * wait to be resumed: a pruned execution id is no longer known to have run.
   */
  older_than_ms: z.number().int().nonnegative(),
});
/** Input of {@link pruneExecutionMarkers}. */
export type PruneExecutionMarkersInput = z.input<typeof PruneExecutionMarkersInput>;

/** What {@link pruneExecutionMarkers} did. */
export interface PrunedExecutionMarkers {
  /** Markers of ended executions removed (with any context directory they still named). */
  readonly removed: number;
  /** Half-written temporary marker files removed (left by a process killed while writing one). */
  readonly removed_temp_files: number;
  /** Markers without a result that were kept: runs in flight, or waiting for a dispatch to take them over. */
  readonly kept_unfinished: number;
  /** Files named like markers that do not parse, kept for a person to look at. */
  readonly unreadable: number;
}

/** The adapter name prune failures carry. */
const ADAPTER = "execution-markers";

const pruneCancelled = (): PortError => rungateError("cancelled", "aborted", { operation: "prune markers" });

/**
 * Removes the markers of ended executions that the command and agentic-flow dispatchers keep in their
 * `state_dir` (one small file per execution, never deleted by the dispatchers themselves), once they are
 * older than `older_than_ms`. Markers without a result are always kept: they are what lets a later dispatch
 * of a crashed run read its outcome from git instead of starting the agent twice.
 *
 * A pruned execution id is forgotten: dispatched again, its agent would run again. The orchestrator never
 * dispatches an execution whose outcome it stored, so prune only well after runs end (days, not minutes).
 *
 * Answers `validation` for bad input, `cancelled` when the signal aborts (what was removed stays removed),
 * and `port_failure` when the directory cannot be read. A missing directory has nothing to prune.
 *
 * @example
 * // Nightly: forget executions that ended more than 30 days ago.
 * const pruned = await pruneExecutionMarkers({
 *   state_dir: "/var/lib/rungate/executions",
 *   older_than_ms: 30 * 24 * 3600 * 1000,
 * });
 */
export function pruneExecutionMarkers(
  input: PruneExecutionMarkersInput,
  options: PortCallOptions = {},
): ResultAsync<PrunedExecutionMarkers, PortError> {
  const parsed = parseInput(PruneExecutionMarkersInput, input, "invalid_prune_input");
  if (parsed.isErr()) return errAsync(parsed.error);
  const dir = resolve(parsed.value.state_dir ?? defaultStateDir());
  const cutoff = Date.now() - parsed.value.older_than_ms;
  const { signal } = options;

  const prune = async () => {
    const counts = { removed: 0, removed_temp_files: 0, kept_unfinished: 0, unreadable: 0 };
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return ok(counts);
      return err(dispatcherFailure(ADAPTER, "prune markers", error));
    }
    for (const name of names.sort()) {
      if (signal?.aborted) return err(pruneCancelled());
      const path = join(dir, name);
      const isTemp = isTempMarkerName(name);
      if (!isTemp && !isMarkerName(name)) continue;
      const info = await stat(path).catch(() => null);
      if (info === null || !info.isFile() || info.mtimeMs >= cutoff) continue;
      if (isTemp) {
        await rm(path, { force: true });
        counts.removed_temp_files++;
        continue;
      }
      const marker = await readMarker(path).catch(() => undefined);
      if (marker === undefined) counts.unreadable++;
      else if (marker === null) continue;
      else if (marker.result === null) counts.kept_unfinished++;
      else {
        await removeContextDir(marker);
        await rm(path, { force: true });
        counts.removed++;
      }
    }
    return ok(counts);
  };

  if (signal?.aborted) return errAsync(pruneCancelled());
  return ResultAsync.fromPromise(prune(), (cause) =>
    dispatcherFailure(ADAPTER, "prune markers", cause),
  ).andThen((result) => result);
}
