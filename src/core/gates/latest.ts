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
