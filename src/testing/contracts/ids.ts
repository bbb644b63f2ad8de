import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { IdGenerator } from "../../ports/id-generator.js";

/** Options of {@link describeIdGeneratorContract}. */
export interface IdGeneratorContractOptions {
  /** The generator's name, shown in the suite title. */
  readonly name: string;
  /** Builds a fresh generator; called once per case. */
  readonly make: () => IdGenerator;
}

/**
 * The behaviour every {@link IdGenerator} must show, as a vitest suite titled `IdGenerator contract: <name>`:
 * ids are UUIDs (as zod's `z.uuid()` accepts them, which the schemas require) and 1000 in a row are unique.
 */
export function describeIdGeneratorContract(options: IdGeneratorContractOptions): void {
  describe(`IdGenerator contract: ${options.name}`, () => {
    it("produces UUIDs the schemas accept", () => {
      const ids = options.make();
      const uuid = z.uuid();
      for (let i = 0; i < 100; i += 1) {
        const id = ids.next();
        expect(uuid.safeParse(id).success, id).toBe(true);
      }
    });

    it("never repeats an id (1000 in a row)", () => {
      const ids = options.make();
      const seen = new Set(Array.from({ length: 1000 }, () => ids.next()));
      expect(seen.size).toBe(1000);
    });
  });
}
