/**
 * `readRunState` on the server: a PL/pgSQL function per schema, `rungate_run_state(run_id text, known text[])`
 * (migration 8), that answers the one statement `plans.ts`'s `selectRunState` used to send whole.
 *
 * Why a function: the statement is long (a run and five lists, each record rebuilt from its stored form), and
 * Postgres parsed and planned it again on every call: 0.64 ms a call on Postgres and 0.9 ms on PGlite, of which
 * 0.3 and 0.5 ms remain once PL/pgSQL keeps its plan for the session (measured in one process, 300 calls each;
 * a card lifecycle reads its run state 9 times). A function is the same on every driver, where named prepared
 * statements would be a `pg` feature and not part of `SqlClient`.
 *
 * `known` names the snapshot hashes the reader already holds, verified: those snapshots are left out of the
 * records (`stored-form.ts`'s `fullRecord`), so a run's policy is not sent, parsed and hashed again on every step.
 */
import type { ChildTable, VersionedTable } from "./plans.js";
import { fullRecord } from "./stored-form.js";

/** The function's name inside its schema. */
export const RUN_STATE_FUNCTION = "rungate_run_state";

/** The lists a run state aggregates, each with the columns its own list statement selects. */
const RUN_STATE_LISTS: readonly {
  readonly table: Exclude<VersionedTable | ChildTable, "runs" | "commits">;
  readonly versioned: boolean;
}[] = [
  { table: "assignments", versioned: true },
  { table: "checks", versioned: false },
  { table: "approvals", versioned: true },
  { table: "pull_requests", versioned: true },
  { table: "executions", versioned: false },
];

/**
 * One run and its five lists in ONE query over schema `s` (quoted), for the run id `runId` and the known hashes
 * `known` (both SQL expressions): the run row as `selectRun` selects it, plus one text column per list (named
 * after its table) holding a JSON array of the rows `listVersioned` / `listChildren` would return, `ORDER BY
 * seq` as they order them. Each element carries the whole `record` as text (the same text the list statements
 * return) so rows are checked and parsed by the same code. One statement is one snapshot on Postgres, even under
 * READ COMMITTED. No row back: the run does not exist.
 */
export function runStateQuery(s: string, runId: string, known: string): string {
  const lists = RUN_STATE_LISTS.map(({ table, versioned }) => {
    const record = `${fullRecord(s, table, "t", known)}::text`;
    const element = versioned
      ? `json_build_object('record', ${record}, 'version', t.version)`
      : `json_build_object('record', ${record})`;
    return `(SELECT coalesce(json_agg(${element} ORDER BY t.seq), '[]'::json)::text
        FROM ${s}.${table} t WHERE t.run_id = r.id) AS ${table}`;
  });
  return `SELECT ${fullRecord(s, "runs", "r", known)}::text AS record, r.version, r.system_policy_hash, r.run_input_hash,
       ${lists.join(", ")}
     FROM ${s}.runs r WHERE r.id = ${runId}`;
}

/** The statement that creates `rungate_run_state` in schema `s` (already quoted). */
export function runStateFunctionDdl(s: string): string {
  return `CREATE FUNCTION ${s}.${RUN_STATE_FUNCTION}(p_run_id text, p_known text[])
RETURNS TABLE (record text, version integer, system_policy_hash text, run_input_hash text, assignments text,
  checks text, approvals text, pull_requests text, executions text)
LANGUAGE plpgsql STABLE AS $rungate$
#variable_conflict use_column
BEGIN
  RETURN QUERY ${runStateQuery(s, "p_run_id", "p_known")};
END
$rungate$`;
}
