import { z } from "zod";
import type { OrchestrationRun } from "./orchestration-run.js";
import { RunPhase } from "./phases.js";
import { IsoDateTime, Uuid } from "./primitives.js";

/** The most runs one page of {@link RunListQuery} returns. */
export const MAX_RUN_PAGE_SIZE = 500;

/**
 * Where a page of runs ends, as `<created_at>~<id>` of its last run: the next page starts strictly after it
 * in the listing's order (newest first). Opaque to hosts; parsed, so a forged one is a validation error.
 */
export const RunListCursor = z
  .string()
  .regex(/^[^~]+~[^~]+$/, "a cursor is the next_cursor of an earlier page")
  .transform((cursor, ctx) => {
    const [created_at = "", id = ""] = cursor.split("~");
    if (!IsoDateTime.safeParse(created_at).success || !Uuid.safeParse(id).success) {
      ctx.addIssue({ code: "custom", message: "a cursor is the next_cursor of an earlier page" });
      return z.NEVER;
    }
    return { created_at, id };
  });
/** A parsed {@link RunListCursor}. */
export type RunListPosition = z.infer<typeof RunListCursor>;

/**
 * Which runs to list: every filter optional and combined with AND. `phases` matches any of them; `card_id`
 * matches a run with an assignment for that card (a card run or a workflow run holding it); `created_after`
 * is inclusive and `created_before` exclusive. Newest first (`created_at`, then `id`, both descending), in
 * pages of `limit` (default 50) continued with the previous page's `next_cursor`.
 */
export const RunListQuery = z
  .object({
    project_id: Uuid.optional(),
    phases: z.array(RunPhase).min(1).optional(),
    card_id: Uuid.optional(),
    created_after: IsoDateTime.optional(),
    created_before: IsoDateTime.optional(),
    limit: z.number().int().min(1).max(MAX_RUN_PAGE_SIZE).default(50),
    cursor: RunListCursor.nullable().optional(),
  })
  .strict();
/** What a host may pass to list runs. */
export type RunListQueryInput = z.input<typeof RunListQuery>;
/** A parsed {@link RunListQuery}. */
export type RunListQuery = z.infer<typeof RunListQuery>;

/** One page of runs, newest first; `next_cursor` is `null` on the last page. */
export interface RunListPage {
  readonly runs: OrchestrationRun[];
  readonly next_cursor: string | null;
}

/** The cursor that continues a listing after `run`. */
export function runListCursor(run: Pick<OrchestrationRun, "created_at" | "id">): string {
  return `${run.created_at}~${run.id}`;
}

/**
 * `a` before `b` in the listing's order: newer `created_at` first (as instants, so offsets compare right),
 * then the greater `id`. Stores that sort in SQL use the same order.
 */
export function compareRunsNewestFirst(
  a: Pick<OrchestrationRun, "created_at" | "id">,
  b: Pick<OrchestrationRun, "created_at" | "id">,
): number {
  const at = Date.parse(b.created_at) - Date.parse(a.created_at);
  if (at !== 0) return at;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Whether `run` (with the card ids of its assignments) passes the filters of `query`, the cursor included.
 * Pure, so that the in-memory store and tests share one definition of the listing.
 */
export function runMatchesListQuery(
  run: Pick<OrchestrationRun, "created_at" | "id" | "project_id" | "phase">,
  card_ids: readonly string[],
  query: RunListQuery,
): boolean {
  if (query.project_id !== undefined && run.project_id !== query.project_id) return false;
  if (query.phases !== undefined && !query.phases.includes(run.phase)) return false;
  if (query.card_id !== undefined && !card_ids.includes(query.card_id)) return false;
  const at = Date.parse(run.created_at);
  if (query.created_after !== undefined && at < Date.parse(query.created_after)) return false;
  if (query.created_before !== undefined && at >= Date.parse(query.created_before)) return false;
  if (query.cursor) return compareRunsNewestFirst(query.cursor, run) < 0;
  return true;
}
