/**
 * What the store parsed from a run's rows the last time it read that run's state (`readRunState`), by each row's
 * text: a row read again unchanged (a run's other cards, its checks, between two steps) is not decoded, parsed and
 * frozen again. The text is the whole record as the database rebuilt it, columns included (id, version), so the
 * same text is the same record; a row changed in any way, an operator's edit included, is new text and is parsed
 * and checked in full.
 *
 * Kept per run, each read replacing what the run's last read kept: rows a run no longer has are dropped, and a
 * workflow run of thousands of rows never evicts its own rows halfway through a read (a single least-recently-used
 * map smaller than the run would miss on every row). Runs are forgotten least recently read first, once the rows
 * kept pass a total. Values are deep-frozen, as the in-memory fake's reads are, because readers share them.
 */
import { deepFreeze } from "../../core/snapshot/deep-freeze.js";

/**
 * How many rows the cache keeps over all runs (the run being read is always kept whole): a row keeps its text and
 * its record, a few KB at most, so about 20 MB when full; a workflow run of 1,000 cards has up to ~9,000 rows.
 */
export const PARSED_ROWS_LIMIT = 10_000;
/** How many runs it keeps rows of. */
export const PARSED_RUNS_LIMIT = 256;

/** One read of a run's state: what the last read parsed, and what this one parsed, kept when it ends. */
export interface RunRowsRead {
  /**
   * The record the run's last read parsed from exactly `text` in `table` (and `also`, what else it read); one
   * found is kept for this read's successor as well.
   */
  get(table: string, text: string, also?: string): unknown;
  /** Keeps `value`, deep-frozen now, as what `text` parses to for this read; answers the frozen value. */
  keep<T>(table: string, text: string, value: T, also?: string): T;
  /** The read succeeded: its rows replace the run's. (A read that failed keeps nothing.) */
  end(): void;
}

/** Parsed rows by run; one per store. */
export interface ParsedRowCache {
  /** Starts a read of `run_id`'s state. */
  begin(run_id: string): RunRowsRead;
}

type Rows = Map<string, unknown>;

/** An empty cache; one per store. */
export function createParsedRowCache(
  limits: { readonly rows?: number; readonly runs?: number } = {},
): ParsedRowCache {
  const rowLimit = limits.rows ?? PARSED_ROWS_LIMIT;
  const runLimit = limits.runs ?? PARSED_RUNS_LIMIT;
  // In order of their last read, oldest first (a Map iterates in insertion order).
  const runs = new Map<string, Rows>();
  let total = 0;
  // Table names and `also` (hashes) never hold a NUL, so the parts cannot run into each other.
  const key = (table: string, text: string, also = "") => `${table}\u0000${also}\u0000${text}`;
  return {
    begin(run_id) {
      const last: Rows = runs.get(run_id) ?? new Map();
      const next: Rows = new Map();
      return {
        get(table, text, also) {
          const at = key(table, text, also);
          const value = last.get(at);
          // Read again, so kept for the run's next read too.
          if (value !== undefined) next.set(at, value);
          return value;
        },
        keep(table, text, value, also) {
          const frozen = deepFreeze(value);
          next.set(key(table, text, also), frozen);
          return frozen;
        },
        end() {
          const previous = runs.get(run_id);
          if (previous !== undefined) {
            total -= previous.size;
            runs.delete(run_id);
          }
          runs.set(run_id, next);
          total += next.size;
          // The oldest runs go first, never the one just read.
          for (const [id, rows] of runs) {
            if (id === run_id || (total <= rowLimit && runs.size <= runLimit)) break;
            runs.delete(id);
            total -= rows.size;
          }
        },
      };
    },
  };
}
