/**
 * SQL statements per card when worker processes drain cards from one Postgres server, counted by the server
 * itself (`pg_stat_statements`): `npx tsx bench/worker-sql.ts`.
 *
 * The same deployment as test/worker/multi-process.test.ts (a local bare remote seeded with one commit, the real
 * ports of test/worker/fixtures/real-ports.ts: Postgres storage, rungate/git, the stand-in agent, process checks),
 * run twice on the same number of cards: once by 4 worker processes
 * (`node --import tsx test/worker/fixtures/worker-process.ts`), once by 1. Each scenario works in a database of
 * its own; `pg_stat_statements_reset()` runs after the runs are created and before the workers start, and the
 * statements of that database are read once every worker has exited (before anything else touches it). Then
 * every card is checked to be `awaiting_approval`, claimed once, and its agent started once.
 *
 * The server: by default this script starts its own PostgreSQL (the newest /usr/lib/postgresql/<v>/bin, or
 * BENCH_PG_BIN) in a fresh data directory under the temp dir, on 127.0.0.1:BENCH_PG_PORT (default 54331), with
 * `shared_preload_libraries=pg_stat_statements`, `pg_stat_statements.track=all` and CI's `fsync=off`, and stops
 * and removes it at the end. As root it runs the server binaries as the `postgres` user (`runuser`), as CI does.
 * Or point DATABASE_URL at a server of yours that already preloads pg_stat_statements, e.g.
 *
 *   d=$(mktemp -d) && chown postgres "$d"
 *   runuser -u postgres -- /usr/lib/postgresql/15/bin/initdb -D "$d" -U postgres --auth=trust
 *   runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$d" -l "$d/log" -w start -o \
 *     "-p 54331 -k $d -c listen_addresses=127.0.0.1 -c fsync=off \
 *      -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
 *   DATABASE_URL=postgres://postgres@127.0.0.1:54331/postgres npx tsx bench/worker-sql.ts
 *
 * (it creates two databases there, `rungate_sqlbench_w4_<pid>` and `…_w1_<pid>`, and drops them at the end;
 * `pg_stat_statements_reset()` clears the whole server's statistics).
 *
 * Knobs: BENCH_CARDS (default 40), BENCH_CARDS_PER_RUN (default 10).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createOrchestrator } from "../src/index.js";
import { openRealPorts, sharedPaths } from "../test/worker/fixtures/real-ports.js";
import { createWorkflowRuns, knob } from "../test/worker/fixtures/workflow-runs.js";

const CARDS = knob("BENCH_CARDS", 40);
const CARDS_PER_RUN = knob("BENCH_CARDS_PER_RUN", 10);
const PORT = knob("BENCH_PG_PORT", 54331);
const LEASE_MS = 30_000;
const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const WORKER_SCRIPT = fileURLToPath(new URL("../test/worker/fixtures/worker-process.ts", import.meta.url));

const temps: string[] = [];
/** Undone in reverse order at the end: the server stopped, the pool ended, the databases dropped. */
const cleanups: (() => unknown)[] = [];

// ---------------------------------------------------------------------------------------------------------
// The server.

function pgBin(): string {
  const given = process.env.BENCH_PG_BIN;
  if (given !== undefined && given !== "") return given;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (newest === undefined) throw new Error(`no PostgreSQL under ${root}: set BENCH_PG_BIN or DATABASE_URL`);
  return join(root, newest, "bin");
}

/** Starts a throw-away server with pg_stat_statements preloaded; answers its URL (database `postgres`). */
function startServer(): string {
  const bin = pgBin();
  const dir = mkdtempSync(join(tmpdir(), "rungate-sqlbench-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { stdio: "pipe" })
      : execFileSync(join(bin, cmd), args, { stdio: "pipe" });
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = [
    `-p ${PORT}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    "-c fsync=off",
    "-c max_connections=100",
    "-c shared_preload_libraries=pg_stat_statements",
    "-c pg_stat_statements.track=all",
    "-c pg_stat_statements.max=10000",
  ].join(" ");
  run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "start", "-o", options]);
  cleanups.push(() => {
    try {
      run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const version = execFileSync(join(bin, "postgres"), ["--version"]).toString().trim();
  console.log(`started ${version} on 127.0.0.1:${PORT} (data in ${data})`);
  return `postgres://postgres@127.0.0.1:${PORT}/postgres`;
}

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

// ---------------------------------------------------------------------------------------------------------
// A deployment (as in test/worker/multi-process.test.ts): a database, a shared folder, a seeded bare remote.

interface Deployment {
  readonly url: string;
  readonly database: string;
  readonly schema: string;
  readonly shared_dir: string;
  readonly tmp_dir: string;
  readonly remote: string;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, stdio: "pipe" }).toString().trim();
}

async function makeDeployment(admin: pg.Pool, serverUrl: string, name: string): Promise<Deployment> {
  const work = mkdtempSync(join(tmpdir(), "rungate-sqlbench-"));
  temps.push(work);
  const shared_dir = join(work, "shared");
  const tmp_dir = join(work, "tmp");
  mkdirSync(shared_dir);
  mkdirSync(tmp_dir);
  const remote = join(work, "remote.git");
  const seed = join(work, "seed");
  git(work, "init", "-q", "--bare", "-b", "main", remote);
  git(work, "init", "-q", "-b", "main", seed);
  writeFileSync(join(seed, "README.md"), "# a shop\n");
  git(seed, "add", "-A");
  git(seed, "-c", "user.name=seed", "-c", "user.email=seed@rungate.invalid", "commit", "-q", "-m", "seed");
  git(seed, "push", "-q", remote, "main");
  const database = `rungate_sqlbench_${name}_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database}`);
  cleanups.push(() => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  const schema = `rg_sqlbench_${randomBytes(6).toString("hex")}`;
  return { url: databaseUrl(serverUrl, database), database, schema, shared_dir, tmp_dir, remote };
}

/** Creates the cards in workflow runs of at most CARDS_PER_RUN, then closes this process's store. */
async function createRuns(d: Deployment): Promise<string[]> {
  const { ports, storage } = await openRealPorts({
    database_url: d.url,
    schema: d.schema,
    shared_dir: d.shared_dir,
    agent_delay_ms: 0,
    pool_max: 4,
  });
  const ids = await createWorkflowRuns(createOrchestrator(ports), d.remote, CARDS, CARDS_PER_RUN);
  (await storage.close())._unsafeUnwrap();
  return ids;
}

// ---------------------------------------------------------------------------------------------------------
// Worker processes.

interface WorkerReport {
  readonly claimed: string[];
  readonly errors: unknown[];
}

const live = new Set<ChildProcess>();

/** Runs one worker process until it exits by itself (`until_idle`); answers its final report. */
function runWorkerProcess(d: Deployment, id: string, start_after: number): Promise<WorkerReport> {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER_SCRIPT], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      TMPDIR: d.tmp_dir,
      MP_DATABASE_URL: d.url,
      MP_SCHEMA: d.schema,
      MP_SHARED_DIR: d.shared_dir,
      MP_WORKER_ID: id,
      MP_LEASE_MS: String(LEASE_MS),
      MP_POLL_MS: "50",
      MP_AGENT_DELAY_MS: "0",
      MP_START_AFTER: String(start_after),
      MP_CANCEL_POLL_MS: "1000",
      MP_CLOCK_OFFSET_MS: "0",
      MP_HEARTBEAT_DELAY_MS: "0",
      PGAPPNAME: id,
    },
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      reject(new Error(`worker ${id}: not done within 20 min\n${stderr}`));
    }, 20 * 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      live.delete(child);
      const lines = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as { type: string } & Partial<WorkerReport>);
      const report = lines.find((l) => l.type === "report");
      if (code !== 0 || report === undefined) {
        reject(new Error(`worker ${id} ended with ${code} without a report:\n${stderr.slice(-4000)}`));
      } else {
        resolve({ claimed: report.claimed ?? [], errors: report.errors ?? [] });
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Statement kinds, from pg_stat_statements' normalized text (its constants become `$n`, e.g. `version + $6`).

/** The kinds, in table order; `nested` are statements the server ran itself (foreign-key checks), not sent. */
const KINDS = {
  tx: "BEGIN / COMMIT",
  fence: "fence check (`SELECT lease_token IS NOT DISTINCT FROM $2 … FOR NO KEY UPDATE`)",
  claim: "claim (`UPDATE assignments … FOR UPDATE SKIP LOCKED`; one empty claim per worker at the end)",
  heartbeat: "heartbeat (lease renewal)",
  release: "release",
  write: "write in one statement (`rungate_write`, schema version 5 on)",
  readRunState: "readRunState (`json_agg`, one statement; `rungate_run_state` since version 8)",
  versionedUpdate: "versioned update (runs, assignments, approvals, PRs)",
  versionedInsert: "versioned insert",
  childInsert: "check / execution / commit insert",
  event: "event insert",
  lockRuns: "lockRuns (`FOR NO KEY UPDATE` of the run before its events)",
  notify: "notify (`pg_notify`)",
  listen: "LISTEN / UNLISTEN (the cancel watch)",
  idempotency: "idempotency key",
  getAssignment: "getAssignment",
  getRun: "getRun (incl. the cancel watch: a poll each second, a read on each NOTIFY)",
  lists: "list reads (checks, approvals, PRs, executions, events)",
  listRuns: "listRuns (idle catch-up)",
  migrate: "worker start: schema check (migrations)",
  diagnosis: "write diagnosis (a refused write: a lost version race)",
  rollback: "ROLLBACK",
  other: "other",
  nested: "nested, not sent: foreign-key checks the server runs (`SELECT … FOR KEY SHARE`)",
} as const;
type Kind = keyof typeof KINDS;

const T = `"[^"]+"\\.`;
const RULES: readonly [RegExp, Kind][] = [
  [/^\s*(BEGIN|COMMIT)\b/i, "tx"],
  [/^\s*ROLLBACK\b/i, "rollback"],
  [/lease_token IS NOT DISTINCT FROM/, "fence"],
  [/lease_token = gen_random_uuid\(\)/, "claim"],
  [/SET lease_expires_at = statement_timestamp\(\)|^SELECT lease_owner FROM/, "heartbeat"],
  [/SET lease_owner = (NULL|\$\d+), lease_token = (NULL|\$\d+)/, "release"],
  [/rungate_write\(/, "write"],
  [/json_agg|rungate_run_state\(/, "readRunState"],
  [/idempotency_keys/, "idempotency"],
  [/pg_notify/, "notify"],
  [/^\s*(UN)?LISTEN\b/i, "listen"],
  [/rungate_migrations|pg_advisory_xact_lock|CREATE SCHEMA/, "migrate"],
  [/AS frozen_changed|AS parent_exists/, "diagnosis"],
  [new RegExp(`^SELECT id FROM ${T}runs WHERE id = ANY`), "lockRuns"],
  [new RegExp(`INSERT INTO ${T}events`), "event"],
  [new RegExp(`UPDATE ${T}\\w+ SET version = version \\+`), "versionedUpdate"],
  [new RegExp(`INSERT INTO ${T}\\w+ \\(id, version, record`), "versionedInsert"],
  [new RegExp(`INSERT INTO ${T}(checks|executions|commits)`), "childInsert"],
  [new RegExp(`FROM ${T}assignments WHERE id = \\$1`), "getAssignment"],
  [new RegExp(`FROM ${T}runs WHERE id = \\$1`), "getRun"],
  [new RegExp(`FROM ${T}runs r\\s+WHERE`), "listRuns"],
  [new RegExp(`FROM ${T}\\w+\\s+WHERE (run_id|assignment_id) = \\$1`), "lists"],
];

function kindOf(query: string, toplevel: boolean): Kind {
  if (!toplevel) return "nested";
  for (const [pattern, kind] of RULES) if (pattern.test(query)) return kind;
  return "other";
}

interface Tally {
  calls: number;
  ms: number;
}

interface Measured {
  readonly workers: number;
  readonly seconds: number;
  readonly byKind: Map<Kind, Tally>;
  readonly unclassified: { query: string; calls: number }[];
  /** Statements sent (top-level), and the server time inside them. */
  readonly sent: Tally;
}

async function statementsOf(admin: pg.Pool, database: string) {
  const { rows } = await admin.query<{ query: string; calls: string; ms: number; toplevel: boolean }>(
    `SELECT query, calls::text AS calls, total_exec_time AS ms, toplevel FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [database],
  );
  return rows.map((r) => ({ query: r.query, calls: Number(r.calls), ms: r.ms, toplevel: r.toplevel }));
}

/** Every card awaiting approval, every run too, each card claimed once and its agent started once. */
async function verify(d: Deployment, runIds: readonly string[], reports: readonly WorkerReport[]) {
  const errors = reports.flatMap((r) => r.errors);
  if (errors.length > 0) throw new Error(`worker errors: ${JSON.stringify(errors).slice(0, 4000)}`);
  const claimed = reports.flatMap((r) => r.claimed);
  if (claimed.length !== CARDS || new Set(claimed).size !== CARDS) {
    throw new Error(
      `${claimed.length} claims of ${new Set(claimed).size} cards, expected ${CARDS} of ${CARDS}`,
    );
  }
  const agentLog = sharedPaths(d.shared_dir).agent_log;
  const starts = readFileSync(agentLog, "utf8")
    .split("\n")
    .filter((l) => l.includes('"start"')).length;
  if (starts !== CARDS) throw new Error(`${starts} agent starts for ${CARDS} cards`);
  const { storage } = await openRealPorts({
    database_url: d.url,
    schema: d.schema,
    shared_dir: d.shared_dir,
    agent_delay_ms: 0,
    pool_max: 2,
  });
  try {
    let cards = 0;
    for (const run_id of runIds) {
      const run = (await storage.getRun(run_id))._unsafeUnwrap();
      if (run.phase !== "awaiting_approval") throw new Error(`run ${run_id} is ${run.phase}`);
      for (const a of (await storage.listAssignments(run_id))._unsafeUnwrap()) {
        if (a.phase !== "awaiting_approval") throw new Error(`card ${a.feature_branch} is ${a.phase}`);
        cards += 1;
      }
    }
    if (cards !== CARDS) throw new Error(`${cards} cards stored, expected ${CARDS}`);
  } finally {
    await storage.close();
  }
}

async function measure(admin: pg.Pool, serverUrl: string, workers: number): Promise<Measured> {
  const d = await makeDeployment(admin, serverUrl, `w${workers}`);
  const runIds = await createRuns(d);
  await admin.query("SELECT pg_stat_statements_reset()");
  // Every worker loads and opens its store first, then all begin claiming at the same instant.
  const startAfter = Date.now() + 6_000;
  const reports = await Promise.all(
    Array.from({ length: workers }, (_, i) => runWorkerProcess(d, `w${i}`, startAfter)),
  );
  const seconds = (Date.now() - startAfter) / 1000;
  const statements = await statementsOf(admin, d.database);
  await verify(d, runIds, reports);
  const byKind = new Map<Kind, Tally>();
  const unclassified: { query: string; calls: number }[] = [];
  const sent: Tally = { calls: 0, ms: 0 };
  for (const s of statements) {
    const kind = kindOf(s.query, s.toplevel);
    const entry = byKind.get(kind) ?? { calls: 0, ms: 0 };
    entry.calls += s.calls;
    entry.ms += s.ms;
    byKind.set(kind, entry);
    if (kind === "other") unclassified.push({ query: s.query, calls: s.calls });
    if (kind !== "nested") {
      sent.calls += s.calls;
      sent.ms += s.ms;
    }
  }
  console.log(
    `${workers} worker(s): ${CARDS} cards in ${runIds.length} runs, ${seconds.toFixed(1)} s from the first ` +
      `claim; claimed per worker ${reports.map((r) => r.claimed.length).join("/")}; every card ` +
      `awaiting_approval, claimed once, its agent started once; ${sent.calls} statements sent`,
  );
  return { workers, seconds, byKind, unclassified, sent };
}

// ---------------------------------------------------------------------------------------------------------

const perCard = (n: number) => (n / CARDS).toFixed(2);

function table(four: Measured, one: Measured): string {
  const lines = [
    "| statement kind | 4 workers, per card | 1 worker, per card | 4 − 1 | server ms per card (4 / 1) |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  const ms = (t: Tally) => (t.ms / CARDS).toFixed(2);
  const row = (label: string, a: Tally, b: Tally, bold = false) => {
    const [x, y] = bold
      ? [`**${perCard(a.calls)}**`, `**${perCard(b.calls)}**`]
      : [perCard(a.calls), perCard(b.calls)];
    return `| ${label} | ${x} | ${y} | ${perCard(a.calls - b.calls)} | ${ms(a)} / ${ms(b)} |`;
  };
  const none: Tally = { calls: 0, ms: 0 };
  for (const kind of Object.keys(KINDS) as Kind[]) {
    if (kind === "nested") continue;
    const a = four.byKind.get(kind) ?? none;
    const b = one.byKind.get(kind) ?? none;
    if (a.calls === 0 && b.calls === 0) continue;
    lines.push(row(KINDS[kind], a, b));
  }
  lines.push(row("**total sent**", four.sent, one.sent, true));
  const without = (m: Measured): Tally => ({
    calls: m.sent.calls - (m.byKind.get("tx")?.calls ?? 0),
    ms: m.sent.ms - (m.byKind.get("tx")?.ms ?? 0),
  });
  lines.push(row("total sent without BEGIN / COMMIT", without(four), without(one)));
  lines.push(row(KINDS.nested, four.byKind.get("nested") ?? none, one.byKind.get("nested") ?? none));
  return lines.join("\n");
}

try {
  const given = process.env.DATABASE_URL;
  const serverUrl = given !== undefined && given !== "" ? given : startServer();
  const admin = new pg.Pool({ connectionString: serverUrl, max: 2 });
  cleanups.push(() => admin.end());
  const preload = (
    await admin.query<{ v: string }>("SELECT current_setting('shared_preload_libraries') AS v")
  ).rows[0]?.v;
  if (!preload?.includes("pg_stat_statements")) {
    throw new Error(
      `the server does not preload pg_stat_statements (shared_preload_libraries = '${preload}')`,
    );
  }
  await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  console.log(`${CARDS} cards, ${CARDS_PER_RUN} per workflow run, lease ${LEASE_MS} ms, cancel poll 1000 ms`);
  const four = await measure(admin, serverUrl, 4);
  const one = await measure(admin, serverUrl, 1);
  console.log(`\n${table(four, one)}\n`);
  for (const m of [four, one]) {
    for (const u of m.unclassified) {
      console.log(
        `other (${m.workers} worker(s)): ${u.calls}× ${u.query.replace(/\s+/g, " ").slice(0, 160)}`,
      );
    }
  }
} finally {
  for (const child of live) if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  for (const cleanup of cleanups.reverse()) {
    try {
      await cleanup();
    } catch (error) {
      console.error(error);
    }
  }
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
}
