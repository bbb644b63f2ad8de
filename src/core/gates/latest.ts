import type { RunCheck } from "../schemas/run-check.js";

/**
 * Picks the newest of several records about the same thing. Records still in flight (no timestamp yet)
 * count as newest; equal timestamps keep input order, so the later-stored record wins.
 */
export function latestBy<T>(records: readonly T[], at: (record: T) => string | null): T | undefined {
  let best: T | undefined;
  let bestAt = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    const stamp = at(record);
    const time = stamp === null ? Number.POSITIVE_INFINITY : Date.parse(stamp);
    if (best === undefined || time >= bestAt) {
      best = record;
      bestAt = time;
    }
  }
  return best;
}

/**
 * The newest result of each check type for one assignment's head ({@link latestBy} on `executed_at`, as the
 * approval gate reads them), sorted by check type: what the evidence, the approval digest and the published
 * commit statuses all report.
 */
export function newestChecksOfHead<
  C extends Pick<RunCheck, "assignment_id" | "head_sha" | "check_type" | "executed_at">,
>(checks: readonly C[], assignmentId: string, head: string): C[] {
  const byType = new Map<string, C[]>();
  for (const c of checks) {
    if (c.assignment_id !== assignmentId || c.head_sha !== head) continue;
    byType.set(c.check_type, [...(byType.get(c.check_type) ?? []), c]);
  }
  return [...byType.keys()]
    .sort()
    .flatMap((type) => latestBy(byType.get(type) ?? [], (c) => c.executed_at) ?? []);
}
