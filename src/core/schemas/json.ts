import { z } from "zod";
import { deepFreeze } from "../snapshot/deep-freeze.js";

/** A JSON object (string keys, JSON values). */
export const JsonObject = z.record(z.string(), z.json());
/** A JSON object. */
export type JsonObject = z.infer<typeof JsonObject>;

/** A JSON object that comes out of parsing deep-frozen: what snapshot fields use, so a parsed record can't be edited. */
export const FrozenJsonObject = JsonObject.transform((value) => deepFreeze(value));

/** Content hashes of a run's two snapshots, verified on every read. */
export const SnapshotHashes = z.object({
  system_policy: z.string().min(1),
  run_input: z.string().min(1),
});
/** Parsed {@link SnapshotHashes}. */
export type SnapshotHashes = z.infer<typeof SnapshotHashes>;
