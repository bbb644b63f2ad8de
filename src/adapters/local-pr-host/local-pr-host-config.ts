import { z } from "zod";
import type { Clock } from "../../ports/clock.js";

const isClock = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { now?: unknown }).now === "function";

/** Options of {@link createLocalPullRequestHost} (and of {@link recordLocalMerge}). */
export const LocalPullRequestHostConfig = z.strictObject({
  /** The folder holding one `<n>.json` record per pull request; created on the first draft. */
  dir: z.string().min(1),
  /** The host's name in events and errors (default `"local-pr-host"`). */
  name: z.string().min(1).optional(),
  /** Where `created_at` / `decided_at` come from (default: the system clock). */
  clock: z.custom<Clock>(isClock, "expected a Clock: { now(): string }").optional(),
});

/** Options of {@link createLocalPullRequestHost}, as you write them. */
export type LocalPullRequestHostConfig = z.input<typeof LocalPullRequestHostConfig>;

/** How to call {@link createLocalPullRequestHost}; shown when the options do not parse. */
export const LOCAL_PR_HOST_USAGE = `createLocalPullRequestHost({ dir: "/path/to/pull-requests" })  // options: name?, clock?`;
