import { z } from "zod";

/** A UUID as host apps of this domain store them (`gen_random_uuid()` style). */
export const Uuid = z.uuid();

/** An ISO-8601 date-time with `Z` or an offset, as Postgres `timestamptz` serialises to JSON. */
export const IsoDateTime = z.iso.datetime({ offset: true });

/** A full or abbreviated git object name (hex, 4 to 64 chars: SHA-1 and SHA-256 repositories). */
export const GitSha = z.string().regex(/^[0-9a-f]{4,64}$/, "must be a hex git object name");

/** Optimistic-concurrency counter; records written by older hosts without it start at 0. */
export const Version = z.number().int().nonnegative().default(0);

/** The six stored statuses host apps already know, for runs and assignments alike. */
export const LIFECYCLE_STATUSES = [
  "queued",
  "running",
  "blocked",
  "failed",
  "completed",
  "cancelled",
] as const;

/** Stored status of a run or an assignment. Finer phases live in `phase`, mapped onto these six. */
export const LifecycleStatus = z.enum(LIFECYCLE_STATUSES);
/** One of {@link LIFECYCLE_STATUSES}. */
export type LifecycleStatus = z.infer<typeof LifecycleStatus>;

/** Who caused something: a person, rungate itself, a coding agent, or a pull-request host reporting what a person did. */
export const ActorType = z.enum(["user", "system", "agent", "pr_host"]);
/** One of the actor types. */
export type ActorType = z.infer<typeof ActorType>;

/** An actor with an identity (a user id, an agent profile, an adapter name). */
export const Actor = z.object({ type: ActorType, id: z.string().min(1) });
/** An actor with an identity. */
export type Actor = z.infer<typeof Actor>;
