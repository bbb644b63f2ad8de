import { z } from "zod";

/**
 * What one statement returned. Rows are `unknown` on purpose: the adapter validates them with zod before use,
 * whatever the driver's type parsers did.
 */
export interface SqlRows {
  readonly rows: readonly unknown[];
}

/** Runs one statement with positional parameters (`$1`, `$2`, …). */
export interface SqlQueryable {
  query(text: string, values?: readonly unknown[]): Promise<SqlRows>;
}

/**
 * The adapter's own database port (pg-boss's `IDatabase` shape): one statement at a time, plus a transaction.
 * `transaction(fn)` runs `fn` on one connection between `BEGIN` and `COMMIT`; when `fn` throws (or `COMMIT`
 * fails) everything `fn` did is rolled back and the error is rethrown. Build one with {@link fromPglite} or
 * {@link fromPgPool}, or implement it over any Postgres client you already have.
 */
export interface SqlClient extends SqlQueryable {
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/** One SQL statement and its parameters, as the plans in `plans.ts` produce them. */
export interface SqlQuery {
  readonly text: string;
  readonly values: readonly unknown[];
}

/**
 * The part of a PGlite transaction object the adapter uses. Declared here rather than imported from
 * `@electric-sql/pglite`, so rungate's public types don't depend on that package (it is an optional peer).
 */
export interface PGliteTransactionLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * The subset of `PGlite` (from `@electric-sql/pglite`) the adapter uses; a real `PGlite` instance fits it.
 * PGlite is one connection in one process: its `transaction()` holds a mutex, so other statements and other
 * transactions wait until it commits or rolls back (see {@link fromPglite}).
 */
export interface PGliteLike {
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  transaction<T>(callback: (tx: PGliteTransactionLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** PGlite's `LISTEN`: calls `callback` with each payload on `channel`; answers the function that stops it. */
  listen?(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
}

/** The subset of a `pg` `PoolClient` the adapter uses: statements on one checked-out connection. */
export interface PgPoolClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Returns the connection to the pool; a truthy argument destroys it instead (pg's convention). */
  release(destroy?: Error | boolean): void;
  /**
   * pg's events on the connection, used to hear run changes: `notification` (`{ channel, payload }`) after a
   * `LISTEN`, `error` when the connection breaks. Without it the store offers no wake-ups (callers poll).
   */
  on?(event: "notification" | "error", listener: (message: unknown) => void): unknown;
  /** Removes a listener `on` added (a connection going back to the pool keeps none of rungate's). */
  removeListener?(event: "notification" | "error", listener: (message: unknown) => void): unknown;
}

/**
 * The subset of `pg.Pool` the adapter uses. Declared here rather than imported from `pg` (an optional peer);
 * a real `pg.Pool` fits it.
 */
export interface PgPoolLike {
  connect(): Promise<PgPoolClientLike>;
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** What a schema name must look like: a lowercase SQL identifier (it is also always quoted). */
export const SCHEMA_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** The schema that holds rungate's tables when none is given. */
export const DEFAULT_SCHEMA = "rungate";

/** A schema name: 1 to 63 of `a-z`, `0-9`, `_`, not starting with a digit. */
export const SchemaName = z
  .string()
  .regex(
    SCHEMA_NAME_PATTERN,
    "a lowercase SQL identifier: a-z, 0-9 and _, 1 to 63 long, not starting with a digit",
  );

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === "function")
  );
}

/** How long an idempotency key is remembered when no `idempotencyWindowMs` is given: 24 hours. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The longest `idempotencyWindowMs` accepted (100 years): Postgres' timestamps must still reach back that far. */
const MAX_IDEMPOTENCY_WINDOW_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/** Options shared by every factory. */
const CommonOptions = {
  /** Schema holding the tables (default `"rungate"`); created and migrated on open. */
  schema: SchemaName.default(DEFAULT_SCHEMA),
  /** Adapter name used in errors. */
  name: z.string().min(1).optional(),
  /**
   * How long an idempotency key is remembered, in ms (default 24 hours, at most 100 years), by the database's
   * clock. A write that repeats a key within the window answers the first write's result (`replayed: true`);
   * once the window has passed, the next write with any key forgets it (and every other key that old), and a
   * write repeating it is applied again. Keys are rungate's own retries of one step (and `createRun`'s
   * `idempotency_key`), so a window much longer than any retry only costs storage.
   */
  idempotencyWindowMs: z
    .number()
    .int()
    .positive()
    .max(MAX_IDEMPOTENCY_WINDOW_MS)
    .default(DEFAULT_IDEMPOTENCY_WINDOW_MS),
};

/** How long a store keeps listening for run changes after its last subscriber left when no `listenLingerMs` is given. */
export const DEFAULT_LISTEN_LINGER_MS = 1_000;

/** Options of the stores that hear run changes (PGlite's and a pg pool's). */
const FeedOptions = {
  /**
   * How long the store keeps listening for run changes (`StoragePort.changes`) after its last subscriber left,
   * in ms (default 1 s, at most 10 minutes; 0 stops at once). An orchestrator subscribes again step after
   * step, and each new `LISTEN` costs a connection check-out and two statements; meanwhile the listening
   * connection stays checked out of the pool. `close()` stops at once, whatever this says.
   */
  listenLingerMs: z.number().int().min(0).max(600_000).default(DEFAULT_LISTEN_LINGER_MS),
};

/** Options of `createPgliteStorage`: an on-disk `dataDir`, nothing (in-memory), or your own `pglite` instance. */
export const PgliteStorageOptions = z
  .object({
    ...CommonOptions,
    ...FeedOptions,
    /** Directory of the database files; absent = an in-memory database, gone when closed. */
    dataDir: z.string().min(1).optional(),
    /** A PGlite instance you created (and close yourself); excludes `dataDir`. */
    pglite: z
      .custom<PGliteLike>((v) => hasMethods(v, ["query", "transaction", "close"]), {
        message: "a PGlite instance (with query, transaction and close)",
      })
      .optional(),
  })
  .strict()
  .refine((o) => o.dataDir === undefined || o.pglite === undefined, {
    message: "give dataDir (rungate opens PGlite) or pglite (your instance), not both",
    path: ["pglite"],
  });
/** Input of {@link PgliteStorageOptions}. */
export type PgliteStorageOptions = z.input<typeof PgliteStorageOptions>;

/** Options of `createPostgresStorage` with your own `pg.Pool` (you end it). */
const PoolOptions = z
  .object({
    ...CommonOptions,
    ...FeedOptions,
    pool: z.custom<PgPoolLike>((v) => hasMethods(v, ["connect", "query"]), {
      message: "a pg.Pool (with connect and query)",
    }),
  })
  .strict();

/** Options of `createPostgresStorage` with a connection string (rungate creates the pool and ends it on close). */
const ConnectionStringOptions = z
  .object({
    ...CommonOptions,
    ...FeedOptions,
    connectionString: z.string().min(1),
    /** Most connections the pool opens (default 10, pg's default). */
    max: z.number().int().positive().optional(),
  })
  .strict();

/** Options of `createPostgresStorage`: `{ pool }` or `{ connectionString }`. */
export const PostgresStorageOptions = z.union([PoolOptions, ConnectionStringOptions]);
/** Input of {@link PostgresStorageOptions}. */
export type PostgresStorageOptions = z.input<typeof PostgresStorageOptions>;

/** Options of `createSqlStorage`: any {@link SqlClient}. */
export const SqlStorageOptions = z
  .object({
    ...CommonOptions,
    client: z.custom<SqlClient>((v) => hasMethods(v, ["query", "transaction"]), {
      message: "a SqlClient (with query and transaction), e.g. fromPgPool(pool)",
    }),
  })
  .strict();
/** Input of {@link SqlStorageOptions}. */
export type SqlStorageOptions = z.input<typeof SqlStorageOptions>;
