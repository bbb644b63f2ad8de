/**
 * Which run each card belongs to, as this orchestrator has seen them. A card's `run_id` is frozen once stored
 * (`FROZEN_FIELDS`), so a remembered one is never wrong: a step that knows it reads the run's whole state in one
 * read, instead of reading the card first to learn its run. Bounded: the oldest entries are forgotten first,
 * and a forgotten card is simply read first again.
 */
import type { CardAssignment } from "../core/schemas/card-assignment.js";

/** Remembers cards' runs: see the module comment. */
export interface CardRuns {
  /** The run of `assignment_id`, when seen. */
  get(assignment_id: string): string | undefined;
  /** Remembers the runs of these cards. */
  remember(assignments: readonly Pick<CardAssignment, "id" | "run_id">[]): void;
}

/** How many cards an orchestrator remembers by default (about 150 bytes each). */
export const DEFAULT_REMEMBERED_CARDS = 10_000;

/** A {@link CardRuns} keeping the newest `limit` cards. */
export function createCardRuns(limit = DEFAULT_REMEMBERED_CARDS): CardRuns {
  const runs = new Map<string, string>();
  return {
    get: (assignment_id) => runs.get(assignment_id),
    remember(assignments) {
      for (const { id, run_id } of assignments) {
        if (runs.get(id) === run_id) continue;
        runs.set(id, run_id);
        // A Map iterates in insertion order: its first key is the oldest.
        if (runs.size > limit) {
          const oldest = runs.keys().next();
          if (!oldest.done) runs.delete(oldest.value);
        }
      }
    },
  };
}
