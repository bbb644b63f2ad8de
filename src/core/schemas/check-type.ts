import { z } from "zod";

/** The check types a run can execute, in the order they usually run. */
export const CHECK_TYPES = [
  "dependency",
  "security",
  "policy",
  "lint",
  "unit",
  "integration",
  "e2e",
] as const;

/** One kind of automated check on an assignment's head. */
export const RunCheckType = z.enum(CHECK_TYPES);
/** One of {@link CHECK_TYPES}. */
export type RunCheckType = z.infer<typeof RunCheckType>;

/** True when `value` names a known check type. */
export function isRunCheckType(value: unknown): value is RunCheckType {
  return typeof value === "string" && (CHECK_TYPES as readonly string[]).includes(value);
}
