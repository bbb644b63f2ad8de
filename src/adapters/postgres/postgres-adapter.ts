import { mkdir } from "node:fs/promises";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import type { z } from "zod";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type { StorageLeases, StoragePort, StoredRunState } from "../../ports/storage-port.js";
import { createLeases } from "./leases.js";
import { portFailure, toPortError } from "./map-postgres-errors.js";
import { migrateSchema } from "./migrate.js";
import {
  type PGliteLike,
  PgliteStorageOptions,
  type PgPoolLike,
  PostgresStorageOptions,
  type SqlClient,
  SqlStorageOptions,
} from "./postgres-config.js";
import { createReads } from "./reads.js";
import { pgliteRunChanges, poolRunChanges, type RunChangeFeed } from "./run-changes.js";
import { createSnapshotCache } from "./snapshot-cache.js";
import { fromPglite, fromPgPool } from "./sql-client.js";
import { applyWrite, type WriteTarget } from "./write.js";

/**
 * A {@link StoragePort} on Postgres (a server through `pg`, or PGlite in-process), with the lease capability,
 * `readRunState` and `listCardAssignments` always present. Call `close()` when done.
 */
export interface PostgresStorage extends StoragePort {
  readonly leases: StorageLeases;
  /** Always present here: the run and its five lists in one statement, so one round trip and one snapshot. */
  readRunState(run_id: string, options?: PortCallOptions): ResultAsync<StoredRunState, PortError>;
  /** Always present here: a card's assignments in every run, one statement through the card index. */
  listCardAssignments(card_id: string, options?: PortCallOptions): ResultAsync<CardAssignment[], PortError>;
  /** The schema holding the tables. */
  readonly schema: string;
  /**
   * Closes what the factory opened itself (the PGlite instance it created, the pool it created from a connection
   * string); a PGlite instance, pool or client you passed in stays open, yours to close. Calling it again is
   * harmless. Calls after `close()` fail with `port_failure`.
   */
  close(): ResultAsync<void, PortError>;
}

/** Parses factory options; a bad option is a programmer error, thrown at once with the correct usage. */
function parseOptions<S extends z.ZodType>(
  schema: S,
  options: unknown,
  factory: string,
  usage: string,
): z.infer<S> {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join(".") : "(options)"}: ${issue.message}`)
    .join("; ");
  throw new TypeError(`${factory}: invalid options (${problems}). Usage: ${usage}`);
}

/** Opens the change feed of a store (`null`: the store offers none). */
type FeedFactory = (schema: string, name: string) => RunChangeFeed | null;
const noFeed: FeedFactory = () => null;

/** Assembles the port over a migrated schema. */
function storageOver(
  client: SqlClient,
  target: WriteTarget,
  closeOwned: () => Promise<void>,
  feedOf: FeedFactory,
): PostgresStorage {
  let closing: Promise<void> | undefined;
  const { schema, adapter: name } = target;
  const feed = feedOf(schema, name);
  // Shared by reads and writes: what one verified or wrote, the other need not send again.
  const snapshots = createSnapshotCache();
  return {
    name,
    schema,
    ...createReads({ client, schema, adapter: name, snapshots }),
    write: (write, options) => applyWrite(client, target, write, options, snapshots),
    leases: createLeases({ client, schema, adapter: name }),
    ...(feed === null ? {} : { changes: feed.changes }),
    close() {
      // The listening connection goes back first: a pool ends only once every connection is back.
      closing ??= (feed?.shutdown() ?? Promise.resolve()).then(closeOwned);
      return ResultAsync.fromPromise(closing, toPortError(name, "close"));
    },
  };
}

/** Migrates the target's schema, then answers the port; on failure closes what was opened for it. */
function open(
  client: SqlClient,
  target: WriteTarget,
  closeOwned: () => Promise<void>,
  feedOf: FeedFactory = noFeed,
): ResultAsync<PostgresStorage, PortError> {
  return migrateSchema(client, { schema: target.schema, adapter: target.adapter })
    .map(() => storageOver(client, target, closeOwned, feedOf))
    .orElse((error) =>
      ResultAsync.fromSafePromise(closeOwned().catch(() => undefined)).andThen(() => errAsync(error)),
    );
}

const nothingToClose = async (): Promise<void> => {};

/** Where a factory's writes go, from its parsed options; `fallback` names the adapter when `name` is not given. */
function targetOf(
  config: {
    readonly schema: string;
    readonly name?: string | undefined;
    readonly idempotencyWindowMs: number;
  },
  fallback: string,
): WriteTarget {
  return {
    schema: config.schema,
    adapter: config.name ?? fallback,
    key_window_ms: config.idempotencyWindowMs,
  };
}

/** The password of a `postgres://user:password@host/db` connection string, decoded; `null` without one. */
export function passwordOf(connectionString: string): string | null {
  if (!URL.canParse(connectionString)) return null;
  const { password } = new URL(connectionString);
  return password === "" ? null : decodeURIComponent(password);
}

function missingDriver(name: string, pkg: string): (cause: unknown) => PortError {
  return (cause) =>
    portFailure(
      name,
      "open",
      "missing_driver",
      false,
      `cannot load "${pkg}" (install it: npm install ${pkg}): ${cause instanceof Error ? cause.message : String(cause)}`,
    );
}

const SQL_USAGE = 'createSqlStorage({ client: fromPgPool(pool), schema: "rungate" })';

/**
 * Opens a {@link PostgresStorage} over any {@link SqlClient} (e.g. `fromPgPool(pool)`, `fromPglite(db)`, or your
 * own over another Postgres driver), migrating `schema` (default `"rungate"`) first. `close()` leaves the client
 * open. Throws a `TypeError` only for malformed options.
 */
export function createSqlStorage(options: SqlStorageOptions): ResultAsync<PostgresStorage, PortError> {
  const config = parseOptions(SqlStorageOptions, options, "createSqlStorage", SQL_USAGE);
  return open(config.client, targetOf(config, "sql-storage"), nothingToClose);
}

const PGLITE_USAGE =
  'createPgliteStorage({ dataDir: "./.rungate/db" }) for a database on disk, createPgliteStorage() in memory, or createPgliteStorage({ pglite: await PGlite.create(), schema: "rungate" })';

/**
 * The embedded default: Postgres compiled to WASM, in this process (`@electric-sql/pglite`, an optional peer).
 * `dataDir` keeps the database in that directory (it survives the process, including `kill -9`: every
 * acknowledged write was committed there); no `dataDir` keeps it in memory until `close()`. Or pass your own
 * `pglite` instance. The schema (default `"rungate"`) is created and migrated on open. One process per
 * `dataDir`: for several processes or machines use {@link createPostgresStorage}. Throws a `TypeError` only
 * for malformed options; everything else is an `Err` (`port_failure` `missing_driver` when the package is not
 * installed, `schema_too_new` for a database written by a newer rungate).
 */
export function createPgliteStorage(
  options: PgliteStorageOptions = {},
): ResultAsync<PostgresStorage, PortError> {
  const config = parseOptions(PgliteStorageOptions, options, "createPgliteStorage", PGLITE_USAGE);
  const target = targetOf(config, "pglite-storage");
  const { adapter: name } = target;
  const pgliteFeed =
    (pglite: PGliteLike): FeedFactory =>
    (schema, adapter) =>
      pgliteRunChanges(pglite, schema, adapter, config.listenLingerMs);
  if (config.pglite) {
    return open(fromPglite(config.pglite), target, nothingToClose, pgliteFeed(config.pglite));
  }
  const dataDir = config.dataDir;
  // PGlite makes the directory itself but not its parents (`./.rungate/db` failed with ENOENT without
  // `./.rungate`); a `scheme://` location (`memory://`, `idb://`) is PGlite's to interpret.
  const made =
    dataDir === undefined || dataDir.includes("://")
      ? okAsync(undefined)
      : ResultAsync.fromPromise(mkdir(dataDir, { recursive: true }), toPortError(name, "open")).map(
          () => undefined,
        );
  return made
    .andThen(() =>
      ResultAsync.fromPromise(import("@electric-sql/pglite"), missingDriver(name, "@electric-sql/pglite")),
    )
    .andThen((module) =>
      ResultAsync.fromPromise<PGliteLike, PortError>(
        module.PGlite.create(dataDir === undefined ? {} : { dataDir }),
        toPortError(name, "open"),
      ),
    )
    .andThen((pglite) => open(fromPglite(pglite), target, () => pglite.close(), pgliteFeed(pglite)));
}

const POSTGRES_USAGE =
  'createPostgresStorage({ connectionString: "postgres://user@127.0.0.1:5432/app" }) or createPostgresStorage({ pool: new pg.Pool(...), schema: "rungate" })';

/**
 * Storage on a Postgres server through `pg` (an optional peer): pass your `pg.Pool` (`{ pool }`, you end it) or
 * a `{ connectionString }` (rungate creates the pool and ends it on `close()`). The schema (default
 * `"rungate"`) is created and migrated on open, safely when several processes open it at once. Several workers
 * on several machines can share it; `leases` hands each ready assignment to one of them. Throws a `TypeError`
 * only for malformed options.
 */
export function createPostgresStorage(
  options: PostgresStorageOptions,
): ResultAsync<PostgresStorage, PortError> {
  const config = parseOptions(PostgresStorageOptions, options, "createPostgresStorage", POSTGRES_USAGE);
  const target = targetOf(config, "postgres-storage");
  const { adapter: name } = target;
  const poolFeed =
    (pool: PgPoolLike): FeedFactory =>
    (schema, adapter) =>
      poolRunChanges(pool, schema, adapter, config.listenLingerMs);
  if ("pool" in config) {
    return open(fromPgPool(config.pool), target, nothingToClose, poolFeed(config.pool));
  }
  const { connectionString, max } = config;
  return ResultAsync.fromPromise(import("pg"), missingDriver(name, "pg")).andThen((module) => {
    const pool = new module.Pool({ connectionString, ...(max === undefined ? {} : { max }) });
    // An idle connection that drops emits "error" on the pool; unhandled, Node would end the process. The next
    // statement on a dead connection fails and is answered as a retryable port_failure instead.
    pool.on("error", () => {});
    const owned: PgPoolLike = pool;
    const password = passwordOf(connectionString);
    return open(fromPgPool(owned), target, () => pool.end(), poolFeed(owned)).map((storage) =>
      Object.assign(storage, { secret_values: password === null ? [] : [password] }),
    );
  });
}
