/** The lease capability: the claim lives on the assignment row (`lease_owner`, `lease_expires_at`), not in a queue. */
import { err, errAsync, ok, type Result, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { CardAssignment } from "../../core/schemas/card-assignment.js";
import { ClaimLeaseInput, HeartbeatLeaseInput, ReleaseLeaseInput } from "../../core/schemas/lease-input.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type { AssignmentLease, StorageLeases } from "../../ports/storage-port.js";
import { runPlan } from "./execute.js";
import { claimNextAssignment, extendLease, leaseHolder, releaseLease } from "./plans.js";
import type { SqlClient } from "./postgres-config.js";
import { cancelled, conflict, decodeRecord, notFound, parseAt, readStored } from "./records.js";

const ClaimInput = ClaimLeaseInput;
const HeartbeatInput = HeartbeatLeaseInput;
const ReleaseInput = ReleaseLeaseInput;

const LeaseRow = z.object({
  record: z.string(),
  version: z.number().int(),
  worker_id: z.string(),
  token: z.string(),
  expires_at: z.string(),
  store_now: z.string(),
});
const HolderRow = z.object({ lease_owner: z.string().nullable() });

/** Where lease statements go. */
export interface LeaseContext {
  readonly client: SqlClient;
  readonly schema: string;
  readonly adapter: string;
}

function toLease(row: z.infer<typeof LeaseRow>): Result<AssignmentLease, PortError> {
  return decodeRecord(row.record, "assignments")
    .andThen((raw) =>
      readStored(CardAssignment, { ...raw, version: row.version }, "assignments", String(raw.id)),
    )
    .map((assignment) => ({
      assignment,
      worker_id: row.worker_id,
      token: row.token,
      expires_at: row.expires_at,
      store_now: row.store_now,
    }));
}

/** `cancelled` when the signal is already aborted, `validation` when the input does not parse, else `body`. */
function guarded<S extends z.ZodType, T>(
  operation: string,
  options: PortCallOptions | undefined,
  input: unknown,
  schema: S,
  body: (parsed: z.infer<S>) => ResultAsync<T, PortError>,
): ResultAsync<T, PortError> {
  if (options?.signal?.aborted) return errAsync(cancelled(operation));
  return parseAt(schema, input, [], "invalid_input").asyncAndThen(body);
}

/**
 * {@link StorageLeases} over `ctx`. Each call is one statement (a heartbeat that fails adds one diagnosis):
 * - claim: `UPDATE … WHERE id = (SELECT … ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)`, so concurrent claimers
 *   skip each other's rows; it issues a new `lease_token` and bumps `version`; expiry is the database's clock;
 * - heartbeat: extends the lease while `lease_token` is still the claim's (even past expiry, if nobody took
 *   over); `conflict` `lease_lost` otherwise, `not_found` for an unknown assignment; no version bump;
 * - release: clears the lease when the token is still current; a no-op otherwise.
 * The caller's `now` is parsed (for compatibility) and never used.
 */
export function createLeases(ctx: LeaseContext): StorageLeases {
  const { client, schema, adapter } = ctx;
  return {
    claimNextAssignment: (input, options) =>
      guarded("claimNextAssignment", options, input, ClaimInput, (claim) =>
        runPlan(client, claimNextAssignment(schema, claim), LeaseRow, {
          adapter,
          operation: "claimNextAssignment",
        }).andThen(([row]) => (row ? toLease(row) : ok(null))),
      ),
    heartbeat: (input, options) =>
      guarded("heartbeat", options, input, HeartbeatInput, (beat) => {
        const scope = { adapter, operation: "heartbeat" };
        return runPlan(client, extendLease(schema, beat), LeaseRow, scope).andThen(([row]) =>
          row
            ? toLease(row)
            : runPlan(client, leaseHolder(schema, beat.assignment_id), HolderRow, scope).andThen(([holder]) =>
                err(
                  holder
                    ? conflict("lease_lost", "assignment", beat.assignment_id)
                    : notFound("assignment", beat.assignment_id),
                ),
              ),
        );
      }),
    releaseLease: (input, options) =>
      guarded("releaseLease", options, input, ReleaseInput, (release) =>
        runPlan(client, releaseLease(schema, release), z.unknown(), {
          adapter,
          operation: "releaseLease",
        }).map(() => undefined),
      ),
  };
}
