/**
 * `rungate/postgres`: durable storage for rungate on Postgres. One SQL implementation on two engines: PGlite
 * (`createPgliteStorage`, Postgres in-process, a data directory on disk: the embedded default) and a Postgres
 * server through `pg` (`createPostgresStorage`). Both implement the `StoragePort` with its `leases`,
 * `readRunState` and `listCardAssignments` capabilities.
 *
 * @module rungate/postgres
 */
export { type MigrateOptions, type MigrationOutcome, migrateSchema } from "./migrate.js";
export { LATEST_SCHEMA_VERSION, type Migration, migrationsFor } from "./migrations.js";
export {
  createPgliteStorage,
  createPostgresStorage,
  createSqlStorage,
  type PostgresStorage,
} from "./postgres-adapter.js";
export {
  DEFAULT_SCHEMA,
  type PGliteLike,
  type PGliteTransactionLike,
  type PgliteStorageOptions,
  type PgPoolClientLike,
  type PgPoolLike,
  type PostgresStorageOptions,
  type SqlClient,
  type SqlQueryable,
  type SqlRows,
  type SqlStorageOptions,
} from "./postgres-config.js";
export { fromPglite, fromPgPool } from "./sql-client.js";
