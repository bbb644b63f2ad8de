import type { PGliteLike, PgPoolLike, SqlClient, SqlQueryable } from "./postgres-config.js";

/**
 * A {@link SqlClient} over a PGlite instance. PGlite is a single connection: `transaction(fn)` takes PGlite's
 * transaction mutex, so while `fn` runs, every other statement and transaction on the instance waits. What a
 * Postgres server achieves with row locks (`FOR UPDATE`, `SKIP LOCKED`, advisory locks) PGlite achieves by
 * running transactions one after another: the same SQL is correct on both, and on PGlite the locks are simply
 * never contended. A throw inside `fn` makes PGlite roll back and rethrow. One process per data directory:
 * two PGlite instances on the same `dataDir` corrupt it.
 */
export function fromPglite(pglite: PGliteLike): SqlClient {
  return {
    query: (text, values = []) => pglite.query(text, [...values]),
    transaction: (fn) =>
      pglite.transaction((tx) => fn({ query: (text, values = []) => tx.query(text, [...values]) })),
  };
}

/**
 * A {@link SqlClient} over a `pg.Pool`: plain statements go to `pool.query` (any connection); a transaction
 * checks one connection out, runs `BEGIN`, `fn`, `COMMIT`, and on any error `ROLLBACK` and rethrows. A
 * connection whose `ROLLBACK` failed is destroyed rather than returned to the pool, so a half-open
 * transaction never leaks into the next caller.
 */
export function fromPgPool(pool: PgPoolLike): SqlClient {
  return {
    query: (text, values = []) => pool.query(text, [...values]),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const connection = await pool.connect();
      let broken = false;
      try {
        await connection.query("BEGIN");
        const result = await fn({ query: (text, values = []) => connection.query(text, [...values]) });
        await connection.query("COMMIT");
        return result;
      } catch (error) {
        await connection.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        connection.release(broken);
      }
    },
  };
}
