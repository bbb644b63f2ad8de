/**
 * The stored form of events (schema version 7): what an `events` row keeps, and the SQL that puts the whole event
 * back on read. Both write paths (the statement of `plans.ts`, the function of `write-function.ts`) and migration 7
 * compact with {@link compactEvent}; every reader rebuilds with {@link fullEvent}.
 *
 * Why: an event cost 411 B on disk at version 6 (bench/storage-size.ts, goal ≤ 250). Of a row's bytes, about 140
 * are fixed (the row header, the id, run, sequence and time columns, two index entries); the rest was a `jsonb`
 * object of `event_type`, `actor` and `payload`, whose keys are the same for every event of a kind and whose
 * values repeat what the event's card already says. docs/benchmarks.md has what each measure saved.
 *
 * Version 6 stores an event's own fields (`stored-form.ts`, `eventOwnFields`); version 7 stores the same fields so:
 * - **The kind once.** An event whose own fields are exactly `event_type` and `actor` (strings) and `payload` (an
 *   object) names its kind, a row of `event_kinds` holding the type, the actor and the payload's keys (in `jsonb`'s
 *   order), by `kind`; its `body` is the payload's values only, a `json` array in the keys' order.
 * - **A card's id and a head SHA as columns.** A payload's `assignment_id` that is a lowercase UUID is kept in the
 *   `assignment_id uuid` column, and a `head_sha` of 40 lowercase hex digits in `head_sha bytea` (20 bytes);
 *   either is left out of the body and put back on read.
 * - **Everything else as it was**: an event with other own fields (an id, a time or a project the columns cannot
 *   give back, a payload that is not an object) or whose kind could not be stored has no `kind`, and its `body`
 *   is its own fields as version 6 kept them.
 *
 * A read rebuilds a `jsonb` object, so keys come back in `jsonb`'s order, the order version 6 answered them in
 * (a `jsonb` object has no other): the rebuilt text is byte for byte what version 6 read. `json` keeps the text
 * as written (no per-key offsets as `jsonb` has), and the text is never read but through `::jsonb`.
 */
import { isoInstant } from "./stored-form.js";

/** The function that finds or adds an event's kind, inside its schema. */
export const EVENT_KIND_FUNCTION = "rungate_event_kind";

/**
 * No kind is added past this code: a payload whose keys are data (a map) would otherwise add a kind per event.
 * Events of a new kind past it are stored as version 6 stored them, whole.
 */
export const EVENT_KINDS_LIMIT = 100_000;

/** Text a `uuid` column gives back identically (`::uuid::text` writes lowercase, with hyphens). */
const UUID_TEXT = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/** A head SHA that `bytea` holds in 20 bytes and `encode(…, 'hex')` gives back identically. */
const SHA_TEXT = "^[0-9a-f]{40}$";

/** Builds the SQL (an `integer`, NULL when there is none) of the kind of an event's `type`, `actor` and payload `keys`. */
export type KindOf = (type: string, actor: string, keys: string) => string;

/**
 * Whether a kind may be stored (SQL `boolean`): its text fits the unique index on `event_kinds` (a B-tree entry
 * holds at most about 2.7 KB), with room to spare.
 */
export function kindFits(type: string, actor: string, keys: string): string {
  return `octet_length(${type}) + octet_length(${actor}) + octet_length((${keys})::text) <= 1000`;
}

/** Finds or adds a kind while writing: {@link eventKindFunctionDdl}'s function of schema `s` (quoted). */
export function kindWhileWriting(s: string): KindOf {
  return (type, actor, keys) => `${s}.${EVENT_KIND_FUNCTION}(${type}, ${actor}, ${keys})`;
}

/** Finds a kind already stored (migration 7 adds them first, in one statement). */
export function storedKind(s: string): KindOf {
  return (type, actor, keys) => `(SELECT ek.code FROM ${s}.event_kinds AS ek
      WHERE ek.event_type = ${type} AND ek.actor = ${actor} AND ek.payload_keys = ${keys})`;
}

/**
 * How many advisory locks guard the adding of kinds: a kind takes the one its hash names, so a transaction holds
 * at most this many (Postgres's shared lock table has room for about 64 a connection), and two transactions
 * adding different kinds collide on one only now and then (one of the two events is then stored whole).
 */
const KIND_LOCKS = 256;

/**
 * The function `rungate_event_kind(type, actor, keys)` of schema `s` (`schema`: the same, unquoted): the code of
 * that kind, added when new. It never waits: a kind another open transaction is adding (it holds the
 * transaction-scoped advisory lock of the kind's hash) answers NULL, and that one event is stored whole, so two
 * writes adding kinds in opposite orders cannot deadlock. NULL too past {@link EVENT_KINDS_LIMIT} or for a kind
 * too long for its index. Under READ COMMITTED each statement of the function sees what committed before it, so a
 * kind committed since the first lookup is found by the second one.
 */
export function eventKindFunctionDdl(s: string, schema: string): string {
  const match = "k.event_type = of_type AND k.actor = of_actor AND k.payload_keys = of_keys";
  const slot = `abs(hashtext(of_type || chr(10) || of_actor || chr(10) || of_keys::text) % ${KIND_LOCKS})`;
  return `CREATE FUNCTION ${s}.${EVENT_KIND_FUNCTION}(of_type text, of_actor text, of_keys text[]) RETURNS integer
LANGUAGE plpgsql STRICT AS $kind$
DECLARE
  kind_code integer;
BEGIN
  SELECT k.code INTO kind_code FROM ${s}.event_kinds AS k WHERE ${match};
  IF kind_code IS NOT NULL THEN RETURN kind_code; END IF;
  IF NOT (${kindFits("of_type", "of_actor", "of_keys")})
     OR coalesce((SELECT max(k.code) FROM ${s}.event_kinds AS k), 0) >= ${EVENT_KINDS_LIMIT} THEN
    RETURN NULL;
  END IF;
  IF NOT pg_try_advisory_xact_lock(hashtext('rungate.event_kinds:${schema}'), ${slot}) THEN
    RETURN NULL;
  END IF;
  INSERT INTO ${s}.event_kinds (event_type, actor, payload_keys) VALUES (of_type, of_actor, of_keys)
    ON CONFLICT DO NOTHING RETURNING code INTO kind_code;
  IF kind_code IS NULL THEN
    SELECT k.code INTO kind_code FROM ${s}.event_kinds AS k WHERE ${match};
  END IF;
  RETURN kind_code;
END
$kind$`;
}

/**
 * The stored form of an event whose own fields are `own` (SQL `jsonb`; version 6's `record`, or
 * `eventOwnFields` of a whole event), as `LATERAL (…) AS <alias>` with the columns `assignment_id`, `kind`,
 * `head_sha` and `body` to store, and the kind it names or would name (`event_type`, `actor`, `payload_keys`;
 * NULL when the event has no kind). `kindOf` finds (or adds) the kind's code.
 *
 * `OFFSET 0` keeps the planner from pulling a subquery up into the ones that read it: it would then repeat `own`
 * (itself made of subqueries) at every use, a write 0.3 ms slower on PGlite.
 */
export function compactEvent(own: string, alias: string, kindOf: KindOf): string {
  const payload = "o.own->'payload'";
  const columnField = (field: string, pattern: string, value: string) =>
    `CASE WHEN jsonb_typeof(${payload}->'${field}') = 'string' AND ${payload}->>'${field}' ~ '${pattern}'
        THEN ${value} END AS ${field}`;
  const left = (field: string) => `CASE WHEN p.${field} IS NOT NULL THEN '${field}' END`;
  const kind = kindOf("o.own->>'event_type'", "o.own->>'actor'", "v.payload_keys");
  const ifKind = (value: string) => `CASE WHEN k.kind IS NOT NULL THEN ${value} END`;
  return `LATERAL (SELECT ${ifKind("p.assignment_id")} AS assignment_id, k.kind, ${ifKind("p.head_sha")} AS head_sha,
      coalesce(${ifKind("v.body")}, o.own::text::json) AS body,
      CASE WHEN p.kept THEN o.own->>'event_type' END AS event_type, CASE WHEN p.kept THEN o.own->>'actor' END AS actor,
      CASE WHEN p.kept THEN v.payload_keys END AS payload_keys
    FROM (SELECT ${own} AS own OFFSET 0) AS o,
      LATERAL (SELECT coalesce(CASE WHEN jsonb_typeof(o.own) = 'object' THEN
          jsonb_typeof(o.own->'event_type') = 'string' AND jsonb_typeof(o.own->'actor') = 'string'
          AND jsonb_typeof(${payload}) = 'object' AND o.own - '{event_type,actor,payload}'::text[] = '{}'::jsonb
          END, false) AS kept,
        ${columnField("assignment_id", UUID_TEXT, `(${payload}->>'assignment_id')::uuid`)},
        ${columnField("head_sha", SHA_TEXT, `decode(${payload}->>'head_sha', 'hex')`)} OFFSET 0) AS p,
      LATERAL (SELECT coalesce(array_agg(f.key ORDER BY f.i), '{}'::text[]) AS payload_keys,
          coalesce(array_to_json(array_agg(f.value::json ORDER BY f.i)), '[]'::json) AS body
        FROM jsonb_each(CASE WHEN p.kept
          THEN (${payload}) - array_remove(ARRAY[${left("assignment_id")}, ${left("head_sha")}], NULL)
          ELSE '{}'::jsonb END) WITH ORDINALITY AS f(key, value, i)) AS v,
      LATERAL (SELECT CASE WHEN p.kept AND ${kindFits("o.own->>'event_type'", "o.own->>'actor'", "v.payload_keys")}
          THEN ${kind} END AS kind) AS k) AS ${alias}`;
}

/**
 * The own fields of the version 7 row `e` of schema `s` (an SQL `jsonb` expression), as version 6 stored them in
 * `record`: the body itself for an event without a kind; else its kind's type and actor, and its payload rebuilt
 * from the kind's keys and the body's values, with the card's id and the head SHA put back from their columns.
 */
export function eventOwnFieldsOf(s: string, e: string): string {
  const column = (field: string, value: string) =>
    `CASE WHEN ${e}.${field} IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('${field}', ${value}) END`;
  const payload = `(SELECT coalesce(jsonb_object_agg(k.payload_keys[v.i], v.value), '{}'::jsonb)
        FROM json_array_elements(${e}.body) WITH ORDINALITY AS v(value, i))
      || ${column("assignment_id", `${e}.assignment_id::text`)} || ${column("head_sha", `encode(${e}.head_sha, 'hex')`)}`;
  return `CASE WHEN ${e}.kind IS NULL THEN ${e}.body::jsonb ELSE (SELECT jsonb_build_object('event_type', k.event_type,
      'actor', k.actor, 'payload', ${payload}) FROM ${s}.event_kinds AS k WHERE k.code = ${e}.kind) END`;
}

/**
 * The whole event of the version 7 row `e` of schema `s` appended to run row `r` (an SQL `jsonb` expression): what
 * the columns give, as version 6 read it, then its own fields ({@link eventOwnFieldsOf}), which win. An event whose
 * kind row is missing reads as NULL, a record that does not parse.
 */
export function fullEvent(s: string, e: string, r: string): string {
  return `(jsonb_build_object('id', ${e}.id::text, 'run_id', ${r}.id, 'project_id', ${r}.record->'project_id',
      'created_at', ${isoInstant(`${e}.created_at`)}, 'sequence', ${e}.sequence) || ${eventOwnFieldsOf(s, e)})`;
}
