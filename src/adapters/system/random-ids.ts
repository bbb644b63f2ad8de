import type { IdGenerator } from "../../ports/id-generator.js";

/**
 * Random version-4 UUIDs from the platform's `crypto.randomUUID` (a global in Node 20 and browsers; no
 * import needed). Throws at construction if the platform has none, which is a setup error.
 */
export function createRandomIds(): IdGenerator {
  const random = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID;
  if (typeof random !== "function") {
    throw new TypeError(
      "createRandomIds: globalThis.crypto.randomUUID is missing; pass your own IdGenerator",
    );
  }
  return { next: () => random.call((globalThis as { crypto: unknown }).crypto) };
}
