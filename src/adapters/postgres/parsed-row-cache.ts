/**
 * Records the store parsed from rows, by the row's text: a row read again unchanged (a run's other cards, its
 * checks, between two steps) is not decoded, parsed and frozen again. The text is the whole record as the
 * database rebuilt it, columns included (id, version, an event's sequence), so the same text is the same record;
 * a row changed in any way, an operator's edit included, is new text and is parsed and checked in full.
 *
 * Values are deep-frozen, as the in-memory fake's reads are, because readers share them. Bounded: a long-lived
 * worker reads many runs.
 */
import { deepFreeze } from "../../core/snapshot/deep-freeze.js";
import { type BoundedMap, createBoundedMap } from "./bounded-map.js";

/** How many parsed records one store keeps (a workflow run of 1,000 cards has ~1,000 cards and their checks). */
export const PARSED_ROW_CACHE_LIMIT = 4_096;

/** Parsed, deep-frozen records by table and row text. */
export interface ParsedRowCache {
  /** The record parsed before from exactly `text` in `table` (with `also`, what else it was parsed from). */
  get(table: string, text: string, also?: string): unknown;
  /** Keeps `value` (deep-frozen now) as what `text` parses to; answers the frozen value. */
  keep<T>(table: string, text: string, value: T, also?: string): T;
}

/** An empty cache of at most `limit` records; one per store. */
export function createParsedRowCache(limit: number = PARSED_ROW_CACHE_LIMIT): ParsedRowCache {
  const rows: BoundedMap<string, unknown> = createBoundedMap(limit);
  // Table names and `also` (hashes) never hold a NUL, so the parts cannot run into each other.
  const key = (table: string, text: string, also = "") => `${table}\u0000${also}\u0000${text}`;
  return {
    get: (table, text, also) => rows.get(key(table, text, also)),
    keep(table, text, value, also) {
      const frozen = deepFreeze(value);
      rows.set(key(table, text, also), frozen);
      return frozen;
    },
  };
}
