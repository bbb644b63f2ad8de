import type { IdGenerator } from "../../ports/id-generator.js";
import { fixtureId } from "../fixtures.js";

/** Options of {@link createSequentialIds}. */
export interface SequentialIdsOptions {
  /**
   * A number from 0 to 4095 (`0xfff`) written into the third block of every id (`4xxx`), so that two
   * generators with different prefixes never produce the same id. Default `0`, whose ids are exactly
   * {@link fixtureId}'s: `createSequentialIds(1).next() === fixtureId(1)`. Give a generator used next to
   * hand-written `fixtureId`s a prefix of its own to keep them apart.
   */
  readonly prefix?: number;
}

/** An {@link IdGenerator} that counts. */
export interface SequentialIds extends IdGenerator {
  /** The id the next {@link IdGenerator.next} will return, without consuming it. */
  peek(): string;
}

const MAX_COUNTER = 0xffff_ffff_ffff;

/**
 * Deterministic ids for tests: valid UUIDs of version-4 layout, `00000000-0000-4ppp-8000-<12 hex counter>`,
 * counting up from `start` (default 1), where `ppp` is the {@link SequentialIdsOptions.prefix} in hex. With
 * the default prefix the ids are `fixtureId(start)`, `fixtureId(start + 1)`, … Throws at construction on a
 * prefix outside 0..4095 or a start outside 0..2^48-1, and on `next()` once the 48-bit counter is exhausted.
 */
export function createSequentialIds(start = 1, options: SequentialIdsOptions = {}): SequentialIds {
  const prefix = options.prefix ?? 0;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 0xfff) {
    throw new Error(`createSequentialIds: prefix must be an integer from 0 to 4095, got ${prefix}`);
  }
  if (!Number.isInteger(start) || start < 0 || start > MAX_COUNTER) {
    throw new Error(`createSequentialIds: start must be an integer from 0 to ${MAX_COUNTER}, got ${start}`);
  }
  const block = `4${prefix.toString(16).padStart(3, "0")}`;
  const format = (n: number) => fixtureId(n).replace(/-4000-/, `-${block}-`);
  let counter = start;

  return {
    peek: () => format(counter),
    next() {
      if (counter > MAX_COUNTER) throw new Error("createSequentialIds: the 48-bit counter is exhausted");
      const id = format(counter);
      counter += 1;
      return id;
    },
  };
}
