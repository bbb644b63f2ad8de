import { IsoDateTime } from "../core/schemas/primitives.js";

// SQLite's `datetime('now')` writes `YYYY-MM-DD HH:MM:SS` in UTC, with no zone; `strftime('%f')` adds
// milliseconds; a date alone is midnight. A `T` instead of the space is the same thing.
const ZONELESS = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?$/;

/** True when the calendar date of `iso` exists (`2026-02-30` does not), read back through `Date`. */
function realDate(iso: string, date: string): boolean {
  const at = Date.parse(iso);
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === date;
}

/**
 * A reference time as rungate stores it (ISO 8601 with a zone), or `null` when it is not a time:
 * - ISO with `Z` or an offset (what the reference's app and Postgres wrote) is kept as written;
 * - the same with a space instead of `T` (SQLite printing an ISO time) gets the `T`;
 * - a zone-less SQLite time (`2026-02-18 09:30:00`, optionally with fractions, or a date alone) is read as
 *   UTC, SQLite's own convention for `datetime('now')`, and written `2026-02-18T09:30:00Z`.
 * The instant never changes, so the report does not list these conversions.
 */
export function normaliseReferenceTime(value: string): string | null {
  const trimmed = value.trim();
  if (IsoDateTime.safeParse(trimmed).success) return realDate(trimmed, trimmed.slice(0, 10)) ? trimmed : null;
  const spaced = trimmed.replace(/^(\d{4}-\d{2}-\d{2}) (?=\d)/, "$1T");
  if (spaced !== trimmed && IsoDateTime.safeParse(spaced).success) {
    return realDate(spaced, spaced.slice(0, 10)) ? spaced : null;
  }
  const m = ZONELESS.exec(trimmed);
  if (m === null) return null;
  const [, date = "", hh = "00", mm = "00", ss = "00", fraction = ""] = m;
  const iso = `${date}T${hh}:${mm}:${ss}${fraction}Z`;
  return IsoDateTime.safeParse(iso).success && realDate(iso, date) ? iso : null;
}
