import { z } from "zod";
import { JsonObject } from "./json.js";
import { IsoDateTime, Uuid } from "./primitives.js";

/** One entry of a run's append-only event log. `sequence` orders the entries of one run. */
export const RunEvent = z.object({
  id: Uuid,
  run_id: Uuid,
  project_id: Uuid,
  event_type: z.string().min(1),
  /** `type:id`, e.g. `user:alice`, `system:rungate`, `agent:coder`. */
  actor: z.string().min(1),
  payload: JsonObject.default({}),
  created_at: IsoDateTime,
  sequence: z.number().int().nonnegative().default(0),
});
/** Parsed {@link RunEvent}. */
export type RunEvent = z.infer<typeof RunEvent>;
