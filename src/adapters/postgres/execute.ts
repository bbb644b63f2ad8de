/** Running plans: one statement with its rows validated, or a transaction that rolls back on the first error. */
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { z } from "zod";
import type { PortError } from "../../ports/port-error.js";
import { toPortError } from "./map-postgres-errors.js";
import type { SqlClient, SqlQuery, SqlQueryable } from "./postgres-config.js";
import { rowsAs } from "./records.js";

/** Where statements go and how failures are named: the adapter name and the port operation. */
export interface Scope {
  readonly adapter: string;
  readonly operation: string;
}

/** `fn()`, with a synchronous throw turned into a rejection, so a misbehaving client cannot throw past a port method. */
function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (cause) {
    return Promise.reject(cause);
  }
}

/** Runs `plan` on `on` and validates its rows with `shape`; a foreign throw becomes a {@link PortError} here, once. */
export function runPlan<S extends z.ZodType>(
  on: SqlQueryable,
  plan: SqlQuery,
  shape: S,
  scope: Scope,
): ResultAsync<z.infer<S>[], PortError> {
  return ResultAsync.fromPromise(
    settle(() => on.query(plan.text, plan.values)),
    toPortError(scope.adapter, scope.operation),
  ).andThen((result) => rowsAs(shape, result.rows, scope.adapter, scope.operation));
}

/** Runs `plans` one after another, ignoring their rows. */
export function runPlans(
  on: SqlQueryable,
  plans: readonly SqlQuery[],
  scope: Scope,
): ResultAsync<void, PortError> {
  return plans.reduce<ResultAsync<void, PortError>>(
    (acc, plan) => acc.andThen(() => runPlan(on, plan, z.unknown(), scope).map(() => undefined)),
    okAsync(undefined),
  );
}

/** Runs `step` over `items` in order, stopping at the first error. */
export function inOrder<T, U>(
  items: readonly T[] | undefined,
  step: (item: T, index: number) => ResultAsync<U, PortError>,
): ResultAsync<U[], PortError> {
  return (items ?? []).reduce<ResultAsync<U[], PortError>>(
    (acc, item, index) => acc.andThen((list) => step(item, index).map((value) => [...list, value])),
    okAsync([]),
  );
}

/** Carries a {@link PortError} out of a transaction body so the client rolls back; unwrapped right after. */
class Rollback extends Error {
  readonly error: PortError;
  constructor(error: PortError) {
    super(error.message);
    this.error = error;
  }
}

/** Lost races Postgres resolves by aborting one transaction; the whole transaction can simply run again. */
function isLostRace(error: PortError): boolean {
  return (
    error.kind === "port_failure" && (error.code === "deadlock" || error.code === "serialization_failure")
  );
}

/**
 * Runs `body` in one transaction: an `Err` from it (or any throw) rolls everything back and is returned. A
 * transaction Postgres aborted as a deadlock or serialization failure is run again, up to `attempts` times in
 * all, since nothing of it was applied.
 */
export function inTransaction<T>(
  client: SqlClient,
  scope: Scope,
  body: (tx: SqlQueryable) => ResultAsync<T, PortError>,
  attempts = 5,
): ResultAsync<T, PortError> {
  const once = (): ResultAsync<T, PortError> =>
    ResultAsync.fromPromise(
      settle(() =>
        client.transaction(async (tx) => {
          const result = await body(tx);
          if (result.isErr()) throw new Rollback(result.error);
          return result.value;
        }),
      ),
      (cause) =>
        cause instanceof Rollback ? cause.error : toPortError(scope.adapter, scope.operation)(cause),
    );
  return retryLostRaces(once, attempts);
}

/** Runs `once` again while it fails with a lost race (nothing of it applied), up to `attempts` times in all. */
export function retryLostRaces<T>(
  once: () => ResultAsync<T, PortError>,
  attempts = 5,
): ResultAsync<T, PortError> {
  const attempt = (left: number): ResultAsync<T, PortError> =>
    once().orElse((error) => (left > 1 && isLostRace(error) ? attempt(left - 1) : errAsync(error)));
  return attempt(attempts);
}
