import type { Result } from "neverthrow";
import { afterEach, describe, expect, it, type TestContext } from "vitest";
import { validateRunInputAgainstPolicy } from "../../core/policy/validate-run-input.js";
import { newCardAssignment, newOrchestrationRun, verifyRunSnapshots } from "../../core/run/new-run.js";
import {
  type AgentCommit,
  type AgentExecution,
  EMPTY_AGENT_REPORT,
} from "../../core/schemas/agent-execution.js";
import type { ApprovalRequest } from "../../core/schemas/approval-request.js";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../../core/schemas/orchestration-run.js";
import type { PullRequestCandidate } from "../../core/schemas/pull-request-candidate.js";
import type { RunCheck } from "../../core/schemas/run-check.js";
import { hashSnapshotValue } from "../../core/snapshot/snapshot.js";
import type {
  AssignmentLease,
  RunEventDraft,
  StorageLeases,
  StoragePort,
  StorageRunChanges,
  StorageWrite,
  StorageWriteResult,
  StoredRunState,
} from "../../ports/storage-port.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../fixtures.js";
import { errOf, okOf, tracePortCalls, untraced } from "./port-calls.js";

/** Optional abilities of an adapter under test; each enables the contract cases that need it. */
export interface StoragePortContractCapabilities {
  /**
   * Edits the stored raw form of run `run_id` behind the port's back (e.g. an UPDATE on the row's JSON
   * columns), so the suite can check that `getRun` refuses a tampered snapshot.
   */
  readonly tamper?: (
    port: StoragePort,
    run_id: string,
    mutate: (raw: Record<string, unknown>) => void,
  ) => Promise<void>;
  /**
   * The optional lease capability ({@link StorageLeases}). `true`: the adapter must offer `port.leases` (the
   * lease cases fail when it is missing); `false`: the lease cases are skipped; absent: they run when the port
   * made for a case has `leases`, and are skipped otherwise.
   */
  readonly leases?: boolean;
  /**
   * The optional one-call read `readRunState`. `true`: the adapter must offer it (its cases fail when it is
   * missing); `false`: its cases are skipped; absent: they run when the port made for a case has it, and are
   * skipped otherwise.
   */
  readonly readRunState?: boolean;
  /**
   * The optional one-call read of a card's assignments across runs, `listCardAssignments`. `true`: the adapter
   * must offer it (its cases fail when it is missing); `false`: its cases are skipped; absent: they run when the
   * port made for a case has it, and are skipped otherwise.
   */
  readonly listCardAssignments?: boolean;
  /**
   * The optional change notifications `changes` ({@link StorageRunChanges}). `true`: the adapter must offer
   * them; `false`: their cases are skipped; absent: they run when the port made for a case has them.
   */
  readonly changes?: boolean;
}

/** Options of {@link describeStoragePortContract}. */
export interface StoragePortContractOptions {
  /** Adapter name, shown in the suite title so a failure says which implementation broke. */
  readonly name: string;
  /** Makes a fresh, empty adapter; called once per test. */
  readonly make: () => Promise<StoragePort> | StoragePort;
  /** Optional abilities that enable more cases. */
  readonly capabilities?: StoragePortContractCapabilities;
  /** Releases what `make` acquired (a schema, a connection); called after each test for each adapter made. */
  readonly cleanup?: (port: StoragePort) => Promise<void> | void;
  /** Timeout of the concurrency cases, in ms (default 60 000; a networked database may need more). */
  readonly concurrency_timeout_ms?: number;
}

function fixtureValue<T, E extends { readonly message: string }>(result: Result<T, E>): T {
  return result.match(
    (value) => value,
    (error) => {
      throw new Error(`contract fixture failed: ${error.message}`);
    },
  );
}

/** Records for one realistic run: the run as `newOrchestrationRun` builds it and its card's assignment. */
interface RunRecords {
  readonly run: OrchestrationRun;
  readonly assignment: CardAssignment;
}

/** Builds realistic records with the same ids per `n`, and fresh ids for everything else. */
function makeFixtures() {
  let next = 100_000;
  const newId = () => fixtureId(next++);

  const runRecords = (n: number): RunRecords => {
    const validated = fixtureValue(validateRunInputAgainstPolicy(runInputFixture(), policyFixture()));
    const run = fixtureValue(
      newOrchestrationRun(validated, { run_id: fixtureId(10_000 + n), now: FIXTURE_TIME }),
    );
    const card = validated.cards[0];
    if (!card) throw new Error("contract fixture failed: the run input has no card");
    const assignment = fixtureValue(
      newCardAssignment(run, card, { assignment_id: fixtureId(20_000 + n), now: FIXTURE_TIME }),
    );
    return { run, assignment };
  };

  const event = (
    run: OrchestrationRun,
    event_type = "run.updated",
    payload: Record<string, string | number> = {},
  ): RunEventDraft => ({
    id: newId(),
    run_id: run.id,
    project_id: run.project_id,
    event_type,
    actor: "system:rungate",
    payload,
    created_at: FIXTURE_TIME,
  });

  const check = (records: RunRecords, overrides: Partial<RunCheck> = {}): RunCheck => ({
    id: newId(),
    run_id: records.run.id,
    assignment_id: records.assignment.id,
    check_type: "unit",
    status: "passed",
    output: "ok",
    executed_at: FIXTURE_TIME,
    head_sha: "abc1234",
    duration_ms: 12,
    ...overrides,
  });

  const approval = (records: RunRecords): ApprovalRequest => ({
    id: newId(),
    run_id: records.run.id,
    assignment_id: records.assignment.id,
    approval_type: "create_pr",
    status: "pending",
    requested_by: "system:rungate",
    requested_at: FIXTURE_TIME,
    resolved_by: null,
    resolved_at: null,
    notes: null,
    head_sha: "abc1234",
    content_digest: null,
    carried_from: null,
    version: 0,
  });

  const pullRequest = (records: RunRecords): PullRequestCandidate => ({
    id: newId(),
    run_id: records.run.id,
    assignment_id: records.assignment.id,
    base_branch: records.run.base_branch,
    head_branch: records.assignment.feature_branch,
    title: "Add a cart total",
    description: "",
    status: "not_created",
    pr_url: null,
    head_sha: "abc1234",
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
    version: 0,
  });

  const execution = (records: RunRecords, overrides: Partial<AgentExecution> = {}): AgentExecution => ({
    id: newId(),
    run_id: records.run.id,
    assignment_id: records.assignment.id,
    attempt: 1,
    status: "running",
    outcome: null,
    started_at: FIXTURE_TIME,
    ended_at: null,
    summary: null,
    error: null,
    exit_code: null,
    ...EMPTY_AGENT_REPORT,
    dispatched_on: null,
    dispatch_claim: null,
    ...overrides,
  });

  const commit = (records: RunRecords, overrides: Partial<AgentCommit> = {}): AgentCommit => ({
    id: newId(),
    assignment_id: records.assignment.id,
    sha: "abc1234",
    branch: records.assignment.feature_branch,
    message: "feat: cart total",
    committed_at: FIXTURE_TIME,
    ...overrides,
  });

  return { newId, runRecords, event, check, approval, pullRequest, execution, commit };
}

/** A write creating the run and its assignment, with a `run.created` event. */
function createWrite(records: RunRecords, created: RunEventDraft, extra: StorageWrite = {}): StorageWrite {
  return {
    runs: [{ record: records.run, expected_version: null }],
    assignments: [{ record: records.assignment, expected_version: null }],
    events: [created],
    ...extra,
  };
}

/**
 * The contract every {@link StoragePort} implementation must pass (in-memory fake, PGlite, Postgres, yours):
 * atomic writes, optimistic versions, idempotency keys, gap-free event sequences, one-time approval decisions,
 * immutable checks, snapshot hashes verified on read, cancellation, and 100 concurrent transitions on one run
 * that lose nothing. Call it from your adapter's test file:
 *
 * ```ts
 * describeStoragePortContract({ name: "my-db", make: () => createMyStorage(), cleanup: (p) => dropIt(p) });
 * ```
 *
 * Each test gets a fresh adapter from `make`; the tamper case runs only when `capabilities.tamper` is given, the
 * lease cases (one claim per assignment across 20 concurrent claimers, takeover of an expired lease exactly once,
 * `lease_lost` after a takeover, a claim that outdates the previous holder's version, release) only when the
 * port has `leases` (see {@link StoragePortContractCapabilities.leases}), and the `readRunState` cases (equal to
 * the six reads it replaces, `not_found`, tamper detection, `cancelled`, never a write half-seen under
 * concurrent writes) only when the port has `readRunState` (see {@link StoragePortContractCapabilities.readRunState}),
 * and the `listCardAssignments` cases (a card's assignments across runs, equal to the per-run lists filtered by
 * card, in creation order; `[]` for an unknown card; `cancelled`) only when the port has `listCardAssignments`
 * (see {@link StoragePortContractCapabilities.listCardAssignments}).
 */
export function describeStoragePortContract(options: StoragePortContractOptions): void {
  const { name, capabilities = {} } = options;
  const concurrencyTimeout = options.concurrency_timeout_ms ?? 60_000;

  describe(`StoragePort contract: ${name}`, () => {
    const made: StoragePort[] = [];
    const fresh = async (): Promise<StoragePort> => {
      const port = await options.make();
      made.push(port);
      return tracePortCalls(port, "storage");
    };

    afterEach(async () => {
      const ports = made.splice(0);
      for (const port of ports) await options.cleanup?.(port);
    });

    describe("atomic writes", () => {
      it("stores a run, its assignment and its first event together and reads them back as written", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const created = f.event(records.run, "run.created", { by: "user:demo" });

        const result = await okOf(port.write(createWrite(records, created)));
        expect(result.replayed).toBe(false);
        expect(result.runs).toEqual([records.run]);
        expect(result.assignments).toEqual([records.assignment]);
        expect(result.events).toEqual([{ ...created, sequence: 1 }]);

        const run = await okOf(port.getRun(records.run.id));
        expect(run).toEqual(records.run);
        expect(verifyRunSnapshots(run).isOk()).toBe(true);
        expect(Object.isFrozen(run.system_policy_snapshot)).toBe(true);
        expect(Object.isFrozen(run.run_input_snapshot)).toBe(true);
        expect(await okOf(port.getAssignment(records.assignment.id))).toEqual(records.assignment);
        expect(await okOf(port.listAssignments(records.run.id))).toEqual([records.assignment]);
        expect(await okOf(port.listEvents(records.run.id))).toEqual([{ ...created, sequence: 1 }]);
      });

      it("refuses to create a run whose id is already stored (conflict already_exists)", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));

        const error = await errOf(
          port.write({
            runs: [{ record: records.run, expected_version: null }],
            events: [f.event(records.run)],
          }),
        );
        expect(error).toMatchObject({
          kind: "conflict",
          code: "already_exists",
          detail: { id: records.run.id },
        });
        expect(await okOf(port.listEvents(records.run.id))).toEqual([]);
      });

      it("stores version expected + 1 on update, whatever the record's own version says", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(
          port.write({ runs: [{ record: { ...records.run, version: 7 }, expected_version: null }] }),
        );
        expect((await okOf(port.getRun(records.run.id))).version).toBe(0);

        const first = await okOf(
          port.write({
            runs: [{ record: { ...records.run, worktree_root: "/tmp/w", version: 42 }, expected_version: 0 }],
          }),
        );
        expect(first.runs[0]?.version).toBe(1);
        const second = await okOf(port.write({ runs: [{ record: records.run, expected_version: 1 }] }));
        expect(second.runs[0]?.version).toBe(2);

        const run = await okOf(port.getRun(records.run.id));
        expect(run.version).toBe(2);
        expect(run.worktree_root).toBe(records.run.worktree_root);
      });

      it("applies nothing of a write whose run update is stale (conflict stale_version)", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const created = f.event(records.run, "run.created");
        await okOf(port.write(createWrite(records, created)));
        await okOf(port.write({ runs: [{ record: records.run, expected_version: 0 }] }));

        const other = f.runRecords(2);
        const error = await errOf(
          port.write({
            runs: [
              { record: other.run, expected_version: null },
              { record: { ...records.run, worktree_root: "/stale" }, expected_version: 0 },
            ],
            events: [f.event(records.run), f.event(other.run, "run.created")],
            checks: [f.check(records)],
            approvals: [{ record: f.approval(records), expected_version: null }],
          }),
        );
        expect(error).toMatchObject({
          kind: "conflict",
          code: "stale_version",
          detail: { id: records.run.id, expected_version: 0, actual_version: 1 },
        });

        const run = await okOf(port.getRun(records.run.id));
        expect(run.version).toBe(1);
        expect(run.worktree_root).toBeNull();
        expect(await errOf(port.getRun(other.run.id))).toMatchObject({ kind: "not_found" });
        expect(await okOf(port.listEvents(records.run.id))).toEqual([{ ...created, sequence: 1 }]);
        expect(await okOf(port.listEvents(other.run.id))).toEqual([]);
        expect(await okOf(port.listChecks(records.run.id))).toEqual([]);
        expect(await okOf(port.listApprovals(records.run.id))).toEqual([]);
      });

      it("answers not_found to an update of a record that is not stored, and applies nothing", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const created = f.event(records.run, "run.created");
        await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));

        const error = await errOf(
          port.write({
            assignments: [{ record: records.assignment, expected_version: 0 }],
            events: [created],
          }),
        );
        expect(error).toMatchObject({ kind: "not_found", detail: { id: records.assignment.id } });
        expect(await okOf(port.listEvents(records.run.id))).toEqual([]);
      });

      it("refuses an event for a run that is neither stored nor in the same write (not_found)", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const ghost = f.runRecords(2);
        await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));

        const error = await errOf(port.write({ events: [f.event(records.run), f.event(ghost.run)] }));
        expect(error).toMatchObject({ kind: "not_found", detail: { id: ghost.run.id } });
        expect(await okOf(port.listEvents(records.run.id))).toEqual([]);
      });
    });

    describe("idempotency keys", () => {
      it("answers a repeated key with the first result, replayed, and stores nothing new", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const created = f.event(records.run, "run.created");
        const first = await okOf(port.write(createWrite(records, created, { idempotency_key: "create-1" })));
        expect(first.replayed).toBe(false);

        const other = f.runRecords(2);
        const again = await okOf(
          port.write({
            idempotency_key: "create-1",
            runs: [{ record: other.run, expected_version: null }],
            events: [f.event(records.run), f.event(other.run)],
            checks: [f.check(records)],
          }),
        );
        // One line when the key was ignored, before the deep comparison of the whole answer.
        expect(
          again.replayed,
          "storage.write must answer a repeated idempotency_key with replayed: true",
        ).toBe(true);
        const expected: StorageWriteResult = { ...first, replayed: true };
        expect(again).toEqual(expected);

        expect(await errOf(port.getRun(other.run.id))).toMatchObject({ kind: "not_found" });
        expect(await okOf(port.listEvents(records.run.id))).toEqual([{ ...created, sequence: 1 }]);
        expect(await okOf(port.listChecks(records.run.id))).toEqual([]);
        expect((await okOf(port.getRun(records.run.id))).version).toBe(0);
      });

      it("does not remember the key of a write that failed", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await errOf(port.write({ idempotency_key: "k", events: [f.event(records.run)] }));

        const result = await okOf(
          port.write({ idempotency_key: "k", runs: [{ record: records.run, expected_version: null }] }),
        );
        expect(result.replayed).toBe(false);
        expect(result.runs).toEqual([records.run]);
      });
    });

    describe("events", () => {
      it("numbers each run's events 1..n, gap-free, in write order, and lists those after a sequence", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const a = f.runRecords(1);
        const b = f.runRecords(2);
        await okOf(port.write({ runs: [{ record: a.run, expected_version: null }] }));
        await okOf(port.write({ runs: [{ record: b.run, expected_version: null }] }));

        const drafts = Array.from({ length: 6 }, (_, i) => f.event(a.run, `step.${i + 1}`));
        const batches = [drafts.slice(0, 2), drafts.slice(2, 3), drafts.slice(3, 6)];
        const results: StorageWriteResult[] = [];
        for (const batch of batches) {
          results.push(await okOf(port.write({ events: [...batch, f.event(b.run, "other")] })));
        }
        expect(
          results.flatMap((r) => r.events.filter((e) => e.run_id === a.run.id).map((e) => e.sequence)),
        ).toEqual([1, 2, 3, 4, 5, 6]);

        const listed = await okOf(port.listEvents(a.run.id));
        expect(listed).toEqual(drafts.map((d, i) => ({ ...d, sequence: i + 1 })));
        expect((await okOf(port.listEvents(a.run.id, 3))).map((e) => e.event_type)).toEqual([
          "step.4",
          "step.5",
          "step.6",
        ]);
        expect(await okOf(port.listEvents(a.run.id, 6))).toEqual([]);
        expect((await okOf(port.listEvents(b.run.id))).map((e) => e.sequence)).toEqual([1, 2, 3]);
      });
    });

    describe("approvals, checks, executions, commits and PR candidates", () => {
      it("records an approval decision once (a second, different decision is conflict already_decided)", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const pending = f.approval(records);
        await okOf(port.write({ approvals: [{ record: pending, expected_version: null }] }));

        const approved = {
          ...pending,
          status: "approved" as const,
          resolved_by: "user:alice",
          resolved_at: FIXTURE_TIME,
        };
        const decided = await okOf(port.write({ approvals: [{ record: approved, expected_version: 0 }] }));
        expect(decided.approvals[0]).toMatchObject({ status: "approved", version: 1 });

        const rejected = { ...approved, status: "rejected" as const, resolved_by: "user:bob" };
        const error = await errOf(
          port.write({
            approvals: [{ record: rejected, expected_version: 1 }],
            events: [f.event(records.run)],
          }),
        );
        expect(error).toMatchObject({
          kind: "conflict",
          code: "already_decided",
          detail: { id: pending.id },
        });
        const stale = await errOf(port.write({ approvals: [{ record: rejected, expected_version: 0 }] }));
        expect(stale.kind).toBe("conflict");

        expect(await okOf(port.listApprovals(records.run.id))).toEqual([{ ...approved, version: 1 }]);
        expect(await okOf(port.listEvents(records.run.id))).toHaveLength(1);

        const noted = await okOf(
          port.write({ approvals: [{ record: { ...approved, notes: "looks good" }, expected_version: 1 }] }),
        );
        expect(noted.approvals[0]).toMatchObject({ status: "approved", notes: "looks good", version: 2 });
      });

      it("keeps check results immutable: a second result with a stored id is a conflict", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const passed = f.check(records);
        const lint = f.check(records, { check_type: "lint" });
        await okOf(port.write({ checks: [passed, lint] }));

        const error = await errOf(
          port.write({ checks: [{ ...passed, status: "failed" }], events: [f.event(records.run)] }),
        );
        expect(error).toMatchObject({ kind: "conflict", detail: { id: passed.id } });
        expect(await okOf(port.listChecks(records.run.id))).toEqual([passed, lint]);
        expect(await okOf(port.listEvents(records.run.id))).toHaveLength(1);
      });

      it("upserts agent executions by id and inserts agent commits once", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const running = f.execution(records);
        const second = f.execution(records, { attempt: 2 });
        await okOf(port.write({ executions: [running, second] }));
        // What the agent reported of itself is kept whole (session, usage, cost, turns, reason, denials), and who
        // dispatched it.
        const completed: AgentExecution = {
          ...running,
          status: "completed",
          outcome: "committed",
          session_id: running.id,
          usage: { input_tokens: 12_345, output_tokens: 678, cached_input_tokens: 9_000 },
          cost_usd: 0.0421,
          num_turns: 7,
          terminal_reason: "completed",
          permission_denials: [{ tool: "Write", path: ".env", reason: "forbidden by **/.env" }],
          final_message: "Done: totals are integers now.",
          dispatched_on: "machine-a",
          dispatch_claim: {
            lease_token: "token-1",
            pid: 4242,
            host: "machine-a",
            boot_id: "6d1c0e8e-3f0b-4a3c-9a53-0c1f4a0d2b11",
            start_ticks: "123456",
          },
        };
        await okOf(port.write({ executions: [completed] }));
        expect(await okOf(port.listExecutions(records.run.id))).toEqual([completed, second]);

        const c1 = f.commit(records);
        const c2 = f.commit(records, { sha: "def5678" });
        await okOf(port.write({ commits: [c1] }));
        await okOf(port.write({ commits: [{ ...c1, message: "rewritten" }, c2] }));
        expect(await okOf(port.listCommits(records.assignment.id))).toEqual([c1, c2]);
      });

      it("versions PR candidates like runs", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const candidate = f.pullRequest(records);
        await okOf(port.write({ pull_requests: [{ record: candidate, expected_version: null }] }));
        const opened = { ...candidate, status: "draft_open" as const, pr_url: "https://prs.fake/1" };
        await okOf(port.write({ pull_requests: [{ record: opened, expected_version: 0 }] }));
        expect(
          await errOf(port.write({ pull_requests: [{ record: opened, expected_version: 0 }] })),
        ).toMatchObject({ kind: "conflict", code: "stale_version" });
        expect(await okOf(port.listPullRequests(records.run.id))).toEqual([{ ...opened, version: 1 }]);
      });
    });

    describe("listing runs", () => {
      /**
       * Seven runs over two projects and three cards, created at distinct instants except two at the same one
       * (the id breaks the tie) and one written with a +02:00 offset (compared as an instant, not as text).
       */
      const seed = async (port: StoragePort) => {
        const f = makeFixtures();
        const other = fixtureId(777);
        const made: { run: OrchestrationRun; card_id: string }[] = [];
        const specs: { at: string; project?: string; card: number; phase?: boolean }[] = [
          { at: "2026-01-01T10:00:00.000Z", card: 1 },
          { at: "2026-01-01T11:00:00.000Z", card: 2, project: other },
          { at: "2026-01-01T12:00:00.000Z", card: 1, phase: true },
          { at: "2026-01-01T12:00:00.000Z", card: 3 },
          { at: "2026-01-01T14:30:00.000+02:00", card: 2 }, // 12:30Z
          { at: "2026-01-01T13:00:00.000Z", card: 3, project: other },
          { at: "2026-01-01T09:00:00.000Z", card: 1, phase: true },
        ];
        for (const [i, spec] of specs.entries()) {
          const records = f.runRecords(i + 1);
          const run = {
            ...records.run,
            created_at: spec.at,
            project_id: spec.project ?? records.run.project_id,
          };
          const card_id = fixtureId(5_000 + spec.card);
          const assignment = { ...records.assignment, card_id };
          await okOf(port.write(createWrite({ run, assignment }, f.event(run, "run.created"))));
          let stored: OrchestrationRun = run;
          if (spec.phase) {
            const moved = { ...run, phase: "preparing" as const, status: "running" as const };
            stored =
              (await okOf(port.write({ runs: [{ record: moved, expected_version: 0 }] }))).runs[0] ?? run;
          }
          made.push({ run: stored, card_id });
        }
        return { made, other };
      };
      const ids = (runs: readonly OrchestrationRun[]) => runs.map((r) => r.id);
      const newestFirst = (runs: readonly OrchestrationRun[]) =>
        [...runs].sort(
          (a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || (a.id < b.id ? 1 : -1),
        );

      it("lists every run newest first, in pages that join up without gaps or repeats", async () => {
        const port = await fresh();
        const { made } = await seed(port);
        const everything = newestFirst(made.map((m) => m.run));
        const seen: OrchestrationRun[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: { runs: OrchestrationRun[]; next_cursor: string | null } = await okOf(
            port.listRuns({ limit: 3, cursor }),
          );
          seen.push(...page.runs);
          cursor = page.next_cursor;
          pages++;
        } while (cursor !== null && pages < 10);
        expect(pages).toBe(3);
        expect(ids(seen)).toEqual(ids(everything));
        expect(seen[0]).toEqual(everything[0]);
        const whole = await okOf(port.listRuns({}));
        expect(ids(whole.runs)).toEqual(ids(everything));
        expect(whole.next_cursor).toBeNull();
      });

      it("filters by project, phase, card and creation range, and combines the filters", async () => {
        const port = await fresh();
        const { made, other } = await seed(port);
        const expectIds = async (
          query: Parameters<StoragePort["listRuns"]>[0],
          pick: (m: (typeof made)[number]) => boolean,
        ) =>
          expect(ids((await okOf(port.listRuns(query))).runs)).toEqual(
            ids(newestFirst(made.filter(pick).map((m) => m.run))),
          );
        await expectIds({ project_id: other }, (m) => m.run.project_id === other);
        await expectIds({ phases: ["preparing"] }, (m) => m.run.phase === "preparing");
        await expectIds({ phases: ["queued", "preparing"] }, () => true);
        await expectIds({ card_id: fixtureId(5_001) }, (m) => m.card_id === fixtureId(5_001));
        await expectIds(
          { created_after: "2026-01-01T11:00:00.000Z", created_before: "2026-01-01T12:30:00.000Z" },
          (m) => ["2026-01-01T11:00:00.000Z", "2026-01-01T12:00:00.000Z"].includes(m.run.created_at),
        );
        await expectIds(
          { card_id: fixtureId(5_003), project_id: other },
          (m) => m.card_id === fixtureId(5_003) && m.run.project_id === other,
        );
        expect((await okOf(port.listRuns({ card_id: fixtureId(5_999) }))).runs).toEqual([]);
      });

      it("answers validation to a malformed query or a forged cursor, and cancelled to an aborted signal", async () => {
        const port = await fresh();
        await seed(port);
        expect(await errOf(port.listRuns({ limit: 0 }))).toMatchObject({ kind: "validation" });
        expect(await errOf(port.listRuns({ cursor: "not-a-cursor" }))).toMatchObject({ kind: "validation" });
        expect(await errOf(port.listRuns({ phases: ["sleeping" as "queued"] }))).toMatchObject({
          kind: "validation",
        });
        const aborted = AbortSignal.abort();
        expect(await errOf(port.listRuns({}, { signal: aborted }))).toMatchObject({ kind: "cancelled" });
      });
    });

    describe("reads", () => {
      it("answers not_found for an unknown run or assignment, and [] from every list", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        expect(await errOf(port.getRun(records.run.id))).toMatchObject({
          kind: "not_found",
          detail: { id: records.run.id },
        });
        expect(await errOf(port.getAssignment(records.assignment.id))).toMatchObject({ kind: "not_found" });
        const id = records.run.id;
        expect(await okOf(port.listAssignments(id))).toEqual([]);
        expect(await okOf(port.listChecks(id))).toEqual([]);
        expect(await okOf(port.listApprovals(id))).toEqual([]);
        expect(await okOf(port.listPullRequests(id))).toEqual([]);
        expect(await okOf(port.listExecutions(id))).toEqual([]);
        expect(await okOf(port.listCommits(records.assignment.id))).toEqual([]);
        expect(await okOf(port.listEvents(id))).toEqual([]);
        expect(await okOf(port.listEvents(id, 5))).toEqual([]);
      });

      it("answers cancelled to every call whose signal is already aborted, and stores nothing", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const controller = new AbortController();
        controller.abort();
        const call = { signal: controller.signal };

        const cancelled = { kind: "cancelled" };
        expect(await errOf(port.write(createWrite(records, f.event(records.run)), call))).toMatchObject(
          cancelled,
        );
        expect(await errOf(port.getRun(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.getAssignment(records.assignment.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listAssignments(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listChecks(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listApprovals(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listPullRequests(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listExecutions(records.run.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listCommits(records.assignment.id, call))).toMatchObject(cancelled);
        expect(await errOf(port.listEvents(records.run.id, undefined, call))).toMatchObject(cancelled);

        expect(await errOf(port.getRun(records.run.id))).toMatchObject({ kind: "not_found" });
      });

      it.runIf(capabilities.tamper !== undefined)(
        "refuses a run whose stored snapshot no longer matches its hash (snapshot_hash_mismatch), every time",
        async () => {
          const port = await fresh();
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
          await capabilities.tamper?.(untraced(port), records.run.id, (raw) => {
            const snapshot = raw.run_input_snapshot as Record<string, unknown>;
            snapshot.initiated_by = "user:mallory";
          });

          for (const _ of [1, 2]) {
            expect(await errOf(port.getRun(records.run.id))).toMatchObject({
              kind: "validation",
              code: "snapshot_hash_mismatch",
            });
          }
          // The optional one-call read verifies as getRun does.
          const readState = port.readRunState?.bind(port);
          if (readState) {
            expect(await errOf(readState(records.run.id))).toMatchObject({
              kind: "validation",
              code: "snapshot_hash_mismatch",
            });
          }
        },
      );
    });

    describe("snapshots are immutable", () => {
      /** A copy of `value` with `key` set: what a writer that "fixes" a snapshot would send. */
      const edited = <T extends object>(value: T, key: string, to: unknown): T => ({ ...value, [key]: to });
      const hashOf = (value: unknown): string =>
        hashSnapshotValue(value).match(
          (hash) => hash,
          (e) => {
            throw new Error(e.message);
          },
        );

      it("refuses an update that changes a run's snapshot, even with its hash recomputed to match", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const input = edited(records.run.run_input_snapshot, "initiated_by", "user:mallory");
        const policy = edited(records.run.system_policy_snapshot, "forbidden_paths", []);
        const attempts: OrchestrationRun[] = [
          {
            ...records.run,
            run_input_snapshot: input,
            snapshot_hashes: {
              system_policy: records.run.snapshot_hashes?.system_policy ?? "",
              run_input: hashOf(input),
            },
          },
          {
            ...records.run,
            system_policy_snapshot: policy,
            snapshot_hashes: {
              system_policy: hashOf(policy),
              run_input: records.run.snapshot_hashes?.run_input ?? "",
            },
          },
          { ...records.run, project_id: f.newId() },
        ];
        const fields = ["run_input_snapshot", "system_policy_snapshot", "project_id"];
        for (const [i, record] of attempts.entries()) {
          const refused = await errOf(
            port.write({
              runs: [{ record: { ...record, phase: "preparing", status: "running" }, expected_version: 0 }],
            }),
          );
          expect(refused).toMatchObject({ kind: "validation", code: "snapshot_immutable" });
          expect(refused.kind === "validation" && refused.detail.issues[0]?.path).toEqual([fields[i]]);
        }
        expect(await okOf(port.getRun(records.run.id))).toEqual(records.run);
        // The same write without the edit goes through: only the frozen fields were refused.
        const moved = await okOf(
          port.write({
            runs: [
              { record: { ...records.run, phase: "preparing", status: "running" }, expected_version: 0 },
            ],
          }),
        );
        expect(moved.runs[0]?.version).toBe(1);
      });

      it("refuses an update that changes a card's snapshot or hash, and verifies the hash on read", async () => {
        const port = await fresh();
        const f = makeFixtures();
        const records = f.runRecords(1);
        const { assignment } = records;
        expect(assignment.assignment_input_hash).toBe(hashOf(assignment.assignment_input_snapshot));
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const snapshot = edited(assignment.assignment_input_snapshot, "allowed_paths", ["**"]);
        // The snapshot with a matching new hash, a hash alone (it no longer matches), what the card is of.
        const attempts: [CardAssignment, string][] = [
          [
            { ...assignment, assignment_input_snapshot: snapshot, assignment_input_hash: hashOf(snapshot) },
            "snapshot_immutable",
          ],
          [{ ...assignment, assignment_input_hash: hashOf({ other: true }) }, "snapshot_hash_mismatch"],
          [{ ...assignment, card_id: f.newId() }, "snapshot_immutable"],
        ];
        for (const [record, code] of attempts) {
          expect(await errOf(port.write({ assignments: [{ record, expected_version: 0 }] }))).toMatchObject({
            kind: "validation",
            code,
          });
        }
        expect(await okOf(port.getAssignment(assignment.id))).toEqual(assignment);
        // A card whose hash does not match its snapshot is not stored at all (and a stored one would be
        // refused on every read).
        const other = f.runRecords(2);
        const forged = { ...other.assignment, assignment_input_hash: hashOf({ forged: true }) };
        const refused = await errOf(
          port.write({
            runs: [{ record: other.run, expected_version: null }],
            assignments: [{ record: forged, expected_version: null }],
          }),
        );
        expect(refused).toMatchObject({ kind: "validation", code: "snapshot_hash_mismatch" });
        expect(await errOf(port.getAssignment(forged.id))).toMatchObject({ kind: "not_found" });
        expect(await errOf(port.getRun(other.run.id))).toMatchObject({ kind: "not_found" });
      });
    });

    describe.skipIf(capabilities.readRunState === false)("readRunState (optional one-call read)", () => {
      type ReadRunState = NonNullable<StoragePort["readRunState"]>;

      /** A fresh port and its `readRunState`; skips the case when the port has none and did not promise it. */
      const freshReader = async (ctx: TestContext): Promise<{ port: StoragePort; read: ReadRunState }> => {
        const port = await fresh();
        const read = port.readRunState?.bind(port);
        if (read) return { port, read };
        if (capabilities.readRunState === true) {
          throw new Error(`${name} declares the readRunState capability, but the port it made has none`);
        }
        return ctx.skip("the port has no readRunState (optional): callers use the six reads");
      };

      it("answers what getRun and the five run lists answer, after a realistic sequence of writes", async (ctx) => {
        const { port, read } = await freshReader(ctx);
        const f = makeFixtures();
        const records = f.runRecords(1);
        const later = "2026-01-01T00:00:01.000Z";
        const first = records.assignment;
        const second: CardAssignment = { ...first, id: f.newId() };
        await okOf(
          port.write(
            createWrite(records, f.event(records.run, "run.created"), {
              assignments: [first, second].map((record) => ({ record, expected_version: null })),
            }),
          ),
        );
        // Another run with rows of its own, which must not leak into this run's state.
        const other = f.runRecords(2);
        await okOf(
          port.write(
            createWrite(other, f.event(other.run, "run.created"), {
              checks: [f.check(other)],
              executions: [f.execution(other)],
              approvals: [{ record: f.approval(other), expected_version: null }],
            }),
          ),
        );
        const unit = f.check(records);
        const lint = f.check(records, { check_type: "lint", assignment_id: second.id });
        const running = f.execution(records);
        const retry = f.execution(records, { attempt: 2 });
        const pending = f.approval(records);
        const candidate = f.pullRequest(records);
        await okOf(
          port.write({
            checks: [unit, lint],
            executions: [running, retry],
            approvals: [{ record: pending, expected_version: null }],
            pull_requests: [{ record: candidate, expected_version: null }],
            events: [f.event(records.run)],
          }),
        );
        // Updating the first-created rows: on a database their new row versions land after the others, so
        // only an explicit creation order keeps them first.
        const approved = {
          ...pending,
          status: "approved" as const,
          resolved_by: "user:alice",
          resolved_at: later,
        };
        const opened = { ...candidate, status: "draft_open" as const, pr_url: "https://prs.fake/1" };
        const completed = { ...running, status: "completed" as const, outcome: "committed" as const };
        await okOf(
          port.write({
            runs: [{ record: { ...records.run, updated_at: later }, expected_version: 0 }],
            assignments: [{ record: { ...first, updated_at: later }, expected_version: 0 }],
            approvals: [{ record: approved, expected_version: 0 }],
            pull_requests: [{ record: opened, expected_version: 0 }],
            executions: [completed],
          }),
        );

        const id = records.run.id;
        const state = await okOf(read(id));
        expect(state).toEqual({
          run: await okOf(port.getRun(id)),
          assignments: await okOf(port.listAssignments(id)),
          checks: await okOf(port.listChecks(id)),
          approvals: await okOf(port.listApprovals(id)),
          pull_requests: await okOf(port.listPullRequests(id)),
          executions: await okOf(port.listExecutions(id)),
        });
        expect(state.run).toEqual({ ...records.run, updated_at: later, version: 1 });
        expect(Object.isFrozen(state.run.system_policy_snapshot)).toBe(true);
        expect(Object.isFrozen(state.run.run_input_snapshot)).toBe(true);
        expect(state.assignments).toEqual([{ ...first, updated_at: later, version: 1 }, second]);
        expect(state.checks).toEqual([unit, lint]);
        expect(state.approvals).toEqual([{ ...approved, version: 1 }]);
        expect(state.pull_requests).toEqual([{ ...opened, version: 1 }]);
        expect(state.executions).toEqual([completed, retry]);
      });

      it("answers not_found for an unknown run", async (ctx) => {
        const { port, read } = await freshReader(ctx);
        const f = makeFixtures();
        const stored = f.runRecords(1);
        await okOf(port.write(createWrite(stored, f.event(stored.run, "run.created"))));
        const ghost = f.runRecords(2).run.id;
        expect(await errOf(read(ghost))).toMatchObject({ kind: "not_found", detail: { id: ghost } });
      });

      it("answers cancelled when the signal is already aborted", async (ctx) => {
        const { port, read } = await freshReader(ctx);
        const f = makeFixtures();
        const records = f.runRecords(1);
        await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
        const controller = new AbortController();
        controller.abort();
        expect(await errOf(read(records.run.id, { signal: controller.signal }))).toMatchObject({
          kind: "cancelled",
        });
      });

      it.runIf(capabilities.tamper !== undefined)(
        "refuses a run whose stored snapshot no longer matches its hash, as getRun does, every time",
        async (ctx) => {
          const { port, read } = await freshReader(ctx);
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
          // Read once before tampering: a store that remembers verified rows must still see the edit.
          expect((await okOf(read(records.run.id))).run).toEqual(records.run);
          await capabilities.tamper?.(untraced(port), records.run.id, (raw) => {
            const snapshot = raw.run_input_snapshot as Record<string, unknown>;
            snapshot.initiated_by = "user:mallory";
          });

          const mismatch = { kind: "validation", code: "snapshot_hash_mismatch" };
          for (const _ of [1, 2]) expect(await errOf(read(records.run.id))).toMatchObject(mismatch);
          expect(await errOf(port.getRun(records.run.id))).toMatchObject(mismatch);
        },
      );

      it(
        "never shows a write half-applied: while writes land, every state's run version equals its check count",
        async (ctx) => {
          const { port, read } = await freshReader(ctx);
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));
          const writes = 20;

          // Each write bumps the run's version and adds one check, atomically; a state read in several parts
          // could see the run of one write and the checks of another.
          let writing = true;
          const writer = async (): Promise<void> => {
            try {
              let run = await okOf(port.getRun(records.run.id));
              for (let i = 0; i < writes; i++) {
                const result = await okOf(
                  port.write({
                    runs: [{ record: run, expected_version: run.version }],
                    checks: [f.check(records)],
                  }),
                );
                run = result.runs[0] ?? run;
              }
            } finally {
              writing = false;
            }
          };
          const reader = async (): Promise<StoredRunState[]> => {
            const seen: StoredRunState[] = [];
            while (writing || seen.length === 0) seen.push(await okOf(read(records.run.id)));
            return seen;
          };
          const [, states] = await Promise.all([writer(), reader()]);

          for (const state of states) expect(state.checks).toHaveLength(state.run.version);
          const last = await okOf(read(records.run.id));
          expect(last.run.version).toBe(writes);
          expect(last.checks).toHaveLength(writes);
        },
        concurrencyTimeout,
      );
    });

    describe.skipIf(capabilities.listCardAssignments === false)(
      "listCardAssignments (optional one-call read of a card's assignments)",
      () => {
        type ListCardAssignments = NonNullable<StoragePort["listCardAssignments"]>;

        /** A fresh port and its `listCardAssignments`; skips the case when the port has none and did not promise it. */
        const freshLister = async (
          ctx: TestContext,
        ): Promise<{ port: StoragePort; list: ListCardAssignments }> => {
          const port = await fresh();
          const list = port.listCardAssignments?.bind(port);
          if (list) return { port, list };
          if (capabilities.listCardAssignments === true) {
            throw new Error(
              `${name} declares the listCardAssignments capability, but the port it made has none`,
            );
          }
          return ctx.skip(
            "the port has no listCardAssignments (optional): callers list each run's assignments",
          );
        };

        it("answers the card's assignments of every run, as the run lists hold them, in creation order", async (ctx) => {
          const { port, list } = await freshLister(ctx);
          const f = makeFixtures();
          const first = f.runRecords(1);
          const second = f.runRecords(2);
          const card_id = first.assignment.card_id;
          const otherCard: CardAssignment = { ...first.assignment, id: f.newId(), card_id: f.newId() };
          await okOf(
            port.write(
              createWrite(first, f.event(first.run, "run.created"), {
                assignments: [first.assignment, otherCard].map((record) => ({
                  record,
                  expected_version: null,
                })),
              }),
            ),
          );
          await okOf(port.write(createWrite(second, f.event(second.run, "run.created"))));
          // A card of the first run created after the second run's: creation order runs across runs. Then the
          // first card updated: a database stores a new row version last, yet the card keeps its place.
          const later: CardAssignment = { ...first.assignment, id: f.newId() };
          await okOf(port.write({ assignments: [{ record: later, expected_version: null }] }));
          const updated = { ...first.assignment, updated_at: "2026-01-01T00:00:01.000Z" };
          await okOf(port.write({ assignments: [{ record: updated, expected_version: 0 }] }));

          const cards = await okOf(list(card_id));
          expect(cards).toEqual([{ ...updated, version: 1 }, second.assignment, later]);
          const perRun = [
            ...(await okOf(port.listAssignments(first.run.id))),
            ...(await okOf(port.listAssignments(second.run.id))),
          ].filter((a) => a.card_id === card_id);
          expect([...cards].sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
            perRun.sort((a, b) => (a.id < b.id ? -1 : 1)),
          );
          // Within one run, the order its list answers.
          expect(cards.filter((a) => a.run_id === first.run.id)).toEqual(
            (await okOf(port.listAssignments(first.run.id))).filter((a) => a.card_id === card_id),
          );
          expect(await okOf(list(otherCard.card_id))).toEqual([otherCard]);
        });

        it("answers [] for a card with no stored assignment", async (ctx) => {
          const { port, list } = await freshLister(ctx);
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
          expect(await okOf(list(f.newId()))).toEqual([]);
        });

        it("answers cancelled when the signal is already aborted", async (ctx) => {
          const { port, list } = await freshLister(ctx);
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write(createWrite(records, f.event(records.run, "run.created"))));
          expect(
            await errOf(list(records.assignment.card_id, { signal: AbortSignal.abort() })),
          ).toMatchObject({ kind: "cancelled" });
        });
      },
    );

    describe("concurrency", () => {
      it(
        "lets exactly one of 100 concurrent transitions from the same version win; the 99 others apply nothing",
        async () => {
          const port = await fresh();
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));
          const read = await okOf(port.getRun(records.run.id));

          const outcomes = await Promise.all(
            Array.from({ length: 100 }, (_, worker) =>
              port.write({
                runs: [{ record: { ...read, updated_at: FIXTURE_TIME }, expected_version: read.version }],
                events: [f.event(read, "run.transitioned", { worker })],
              }),
            ),
          );
          const wins = outcomes.filter((o) => o.isOk());
          const losses = outcomes.flatMap((o) => (o.isErr() ? [o.error] : []));
          expect(wins).toHaveLength(1);
          expect(losses).toHaveLength(99);
          for (const loss of losses) expect(loss).toMatchObject({ kind: "conflict", code: "stale_version" });

          expect((await okOf(port.getRun(read.id))).version).toBe(read.version + 1);
          const events = await okOf(port.listEvents(read.id));
          expect(events).toHaveLength(1);
          expect(events[0]?.sequence).toBe(1);
        },
        concurrencyTimeout,
      );

      it(
        "loses nothing when 100 workers each retry read → update → write until they win",
        async () => {
          const port = await fresh();
          const f = makeFixtures();
          const records = f.runRecords(1);
          await okOf(port.write({ runs: [{ record: records.run, expected_version: null }] }));
          const start = (await okOf(port.getRun(records.run.id))).version;

          const worker = async (index: number): Promise<number> => {
            for (let attempt = 1; attempt <= 1_000; attempt++) {
              const run = await okOf(port.getRun(records.run.id));
              const outcome = await port.write({
                runs: [{ record: run, expected_version: run.version }],
                events: [f.event(run, "run.transitioned", { worker: index })],
              });
              if (outcome.isOk()) return attempt;
              expect(outcome.error).toMatchObject({ kind: "conflict", code: "stale_version" });
            }
            throw new Error(`worker ${index} never won`);
          };
          const attempts = await Promise.all(Array.from({ length: 100 }, (_, i) => worker(i)));
          expect(attempts).toHaveLength(100);

          expect((await okOf(port.getRun(records.run.id))).version).toBe(start + 100);
          const events = await okOf(port.listEvents(records.run.id));
          expect(events.map((e) => e.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
          const workers = events.map((e) => e.payload.worker as number).sort((x, y) => x - y);
          expect(workers).toEqual(Array.from({ length: 100 }, (_, i) => i));
        },
        concurrencyTimeout,
      );
    });

    describe.skipIf(capabilities.changes === false)("run changes (optional wake-ups)", () => {
      /** A fresh port and its change feed; skips the case when the port has none and did not promise it. */
      const freshChanges = async (
        ctx: TestContext,
      ): Promise<{ port: StoragePort; changes: StorageRunChanges }> => {
        const port = await fresh();
        if (port.changes) return { port, changes: port.changes };
        if (capabilities.changes === true) {
          throw new Error(`${name} declares the changes capability, but the port it made has no "changes"`);
        }
        return ctx.skip("the port has no changes capability: callers poll");
      };

      /** What a listener heard, and a wait until it heard `run_id` (5 s at most). */
      const recorder = () => {
        const heard: string[] = [];
        const until = async (run_id: string, times = 1) => {
          const deadline = Date.now() + 5_000;
          while (heard.filter((id) => id === run_id).length < times) {
            if (Date.now() > deadline) throw new Error(`no change of run ${run_id} heard within 5 s`);
            await new Promise((r) => setTimeout(r, 5));
          }
        };
        return { heard, listener: (run_id: string) => heard.push(run_id), until };
      };

      it("tells a subscriber each run a committed write touched, never one of a write that failed", async (ctx) => {
        const { port, changes } = await freshChanges(ctx);
        const f = makeFixtures();
        const a = f.runRecords(1);
        const b = f.runRecords(2);
        const ghost = f.runRecords(3);
        const me = recorder();
        const subscription = await okOf(changes.subscribe(me.listener));
        try {
          await okOf(port.write(createWrite(a, f.event(a.run, "run.created"))));
          await me.until(a.run.id);
          // A write that fails (an event of a run that does not exist) rolls back and tells nobody; the write
          // after it is heard, so by then the failed one would have been too.
          expect(await errOf(port.write({ events: [f.event(ghost.run, "lost")] }))).toMatchObject({
            kind: "not_found",
          });
          await okOf(port.write({ runs: [{ record: b.run, expected_version: null }] }));
          await me.until(b.run.id);
          expect(me.heard).not.toContain(ghost.run.id);
          // An event alone touches its run.
          const before = me.heard.filter((id) => id === a.run.id).length;
          await okOf(port.write({ events: [f.event(a.run, "step")] }));
          await me.until(a.run.id, before + 1);
        } finally {
          subscription.close();
        }
      });

      it("never hints that a write of a run's own record left it alone (a cancel watch would miss it)", async (ctx) => {
        const { port, changes } = await freshChanges(ctx);
        const f = makeFixtures();
        const a = f.runRecords(1);
        const hints: { run_id: string; run_record: boolean | undefined }[] = [];
        const subscription = await okOf(
          changes.subscribe((run_id, hint) => hints.push({ run_id, run_record: hint?.run_record })),
        );
        const heard = async (count: number) => {
          const deadline = Date.now() + 5_000;
          while (hints.length < count) {
            if (Date.now() > deadline)
              throw new Error(`only ${hints.length} of ${count} changes heard within 5 s`);
            await new Promise((r) => setTimeout(r, 5));
          }
        };
        try {
          // Created, then updated (as a cancel updates it), then an event alone: the first two wrote the record.
          await okOf(port.write({ runs: [{ record: a.run, expected_version: null }] }));
          await heard(1);
          await okOf(
            port.write({
              runs: [{ record: { ...a.run, worktree_root: "/tmp/cancelled" }, expected_version: 0 }],
              events: [f.event(a.run, "run.cancelled")],
            }),
          );
          await heard(2);
          await okOf(port.write({ events: [f.event(a.run, "step")] }));
          await heard(3);
          expect(hints.map((h) => h.run_id)).toEqual([a.run.id, a.run.id, a.run.id]);
          // A store may give no hint at all (undefined); one that does never says false for the first two.
          expect(hints[0]?.run_record).not.toBe(false);
          expect(hints[1]?.run_record).not.toBe(false);
        } finally {
          subscription.close();
        }
      });

      it("stops calling a closed subscription, and keeps calling the others", async (ctx) => {
        const { port, changes } = await freshChanges(ctx);
        const f = makeFixtures();
        const a = f.runRecords(1);
        const b = f.runRecords(2);
        const closed = recorder();
        const open = recorder();
        const first = await okOf(changes.subscribe(closed.listener));
        const second = await okOf(changes.subscribe(open.listener));
        try {
          await okOf(port.write({ runs: [{ record: a.run, expected_version: null }] }));
          await closed.until(a.run.id);
          await open.until(a.run.id);

          first.close();
          first.close();
          await okOf(port.write({ runs: [{ record: b.run, expected_version: null }] }));
          await open.until(b.run.id);
          expect(closed.heard).not.toContain(b.run.id);
        } finally {
          first.close();
          second.close();
        }
      });
    });

    describe.skipIf(capabilities.leases === false)("leases", () => {
      const at = (ms: number): string => new Date(Date.parse(FIXTURE_TIME) + ms).toISOString();

      /** A fresh port and its lease capability; skips the case when the port has none and did not promise it. */
      const freshLeases = async (ctx: TestContext): Promise<{ port: StoragePort; leases: StorageLeases }> => {
        const port = await fresh();
        if (port.leases) return { port, leases: port.leases };
        if (capabilities.leases === true) {
          throw new Error(`${name} declares the leases capability, but the port it made has no "leases"`);
        }
        return ctx.skip("the port has no leases capability");
      };

      /** Stores a run, its queued assignment (not claimable by default) and `count` ready assignments. */
      const seedReady = async (port: StoragePort, count: number) => {
        const f = makeFixtures();
        const records = f.runRecords(1);
        const ready: CardAssignment[] = Array.from({ length: count }, () => ({
          ...records.assignment,
          id: f.newId(),
          phase: "ready",
          status: "queued",
        }));
        await okOf(
          port.write({
            runs: [{ record: records.run, expected_version: null }],
            assignments: [records.assignment, ...ready].map((record) => ({ record, expected_version: null })),
          }),
        );
        return { f, records, queued: records.assignment, ready };
      };

      const claimOf = (lease: AssignmentLease | null): AssignmentLease => {
        if (lease === null) throw new Error("expected a claim, got null");
        return lease;
      };

      /** The lease's length as the store computed it from its own clock. */
      const leaseLength = (lease: AssignmentLease) =>
        Date.parse(lease.expires_at) - Date.parse(lease.store_now);
      /**
       * Leases are the store's clock's, so expiry takes real time: a lease of {@link SHORT_LEASE_MS}, and a wait
       * a little longer than it.
       */
      const SHORT_LEASE_MS = 1_000;
      const outlive = () => new Promise((resolve) => setTimeout(resolve, SHORT_LEASE_MS + 150));
      const claimShort = (leases: StorageLeases, worker_id: string) =>
        leases.claimNextAssignment({ worker_id, lease_ms: SHORT_LEASE_MS });
      /** A fenced write that marks the card dispatched and appends one event: all of it lands, or none. */
      const dispatchUnder = (
        f: ReturnType<typeof makeFixtures>,
        run: OrchestrationRun,
        lease: AssignmentLease,
        fence: { readonly assignment_id: string; readonly token: string },
      ) => ({
        fence,
        assignments: [
          {
            record: { ...lease.assignment, phase: "agent_running" as const, status: "running" as const },
            expected_version: lease.assignment.version,
          },
        ],
        events: [f.event(run, "assignment.dispatched")],
      });

      it("hands each ready assignment to exactly one of 20 concurrent claimers, under its own token", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { ready, queued } = await seedReady(port, 5);

        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, worker) =>
            okOf(leases.claimNextAssignment({ worker_id: `worker-${worker}`, lease_ms: 60_000 })),
          ),
        );
        const granted = claims.flatMap((claim, worker) => (claim ? [{ claim, worker }] : []));
        expect(granted).toHaveLength(5);
        expect(new Set(granted.map((g) => g.claim.assignment.id))).toEqual(new Set(ready.map((a) => a.id)));
        expect(new Set(granted.map((g) => g.claim.token)).size).toBe(5);
        for (const { claim, worker } of granted) {
          expect(claim.worker_id).toBe(`worker-${worker}`);
          expect(leaseLength(claim)).toBe(60_000);
          expect(claim.assignment).toMatchObject({ phase: "ready", version: 1 });
          expect(await okOf(port.getAssignment(claim.assignment.id))).toEqual(claim.assignment);
        }
        expect(await okOf(port.getAssignment(queued.id))).toEqual(queued);
        expect(await okOf(leases.claimNextAssignment({ worker_id: "late", lease_ms: 60_000 }))).toBeNull();
      });

      it("claims in creation order, only in the phases asked for (default: ready)", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { ready, queued } = await seedReady(port, 2);
        const claim = (phases?: CardAssignment["phase"][]) =>
          leases.claimNextAssignment({ worker_id: "w", lease_ms: 60_000, ...(phases ? { phases } : {}) });

        expect(claimOf(await okOf(claim())).assignment.id).toBe(ready[0]?.id);
        expect(claimOf(await okOf(claim())).assignment.id).toBe(ready[1]?.id);
        expect(await okOf(claim())).toBeNull();
        expect(claimOf(await okOf(claim(["queued", "ready"]))).assignment.id).toBe(queued.id);
        expect(await okOf(claim(["queued", "ready", "agent_running"]))).toBeNull();
      });

      it(
        "decides expiry by the store's clock: a caller's clock far ahead takes no live lease; once expired, exactly one of 10 claimers takes it over",
        async (ctx) => {
          const { port, leases } = await freshLeases(ctx);
          const { ready } = await seedReady(port, 1);
          const first = claimOf(await okOf(claimShort(leases, "a")));
          expect(leaseLength(first)).toBe(SHORT_LEASE_MS);

          // A caller whose clock runs an hour ahead: its `now` is not the store's, and changes nothing.
          const ahead = new Date(Date.parse(first.store_now) + 3_600_000).toISOString();
          expect(
            await okOf(leases.claimNextAssignment({ worker_id: "b", lease_ms: SHORT_LEASE_MS, now: ahead })),
          ).toBeNull();
          await outlive();
          const takeovers = await Promise.all(
            Array.from({ length: 10 }, (_, worker) => okOf(claimShort(leases, `t-${worker}`))),
          );
          const taken = takeovers.filter((claim): claim is AssignmentLease => claim !== null);
          expect(taken).toHaveLength(1);
          expect(taken[0]).toMatchObject({ assignment: { id: ready[0]?.id, version: 2 } });
          expect(taken[0]?.token).not.toBe(first.token);
          expect(Date.parse(taken[0]?.store_now ?? "")).toBeGreaterThan(Date.parse(first.expires_at));
        },
        concurrencyTimeout,
      );

      it("extends a lease by its token (even past expiry while nobody claimed), and answers lease_lost once it was taken over", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { ready } = await seedReady(port, 1);
        const id = ready[0]?.id ?? "";
        const a = claimOf(await okOf(claimShort(leases, "a")));

        const extended = await okOf(
          leases.heartbeat({ assignment_id: id, token: a.token, lease_ms: SHORT_LEASE_MS }),
        );
        expect(extended).toMatchObject({ worker_id: "a", token: a.token, assignment: { id, version: 1 } });
        expect(leaseLength(extended)).toBe(SHORT_LEASE_MS);
        expect(Date.parse(extended.expires_at)).toBeGreaterThanOrEqual(Date.parse(a.expires_at));

        await outlive();
        const late = await okOf(leases.heartbeat({ assignment_id: id, token: a.token, lease_ms: 60_000 }));
        expect(leaseLength(late)).toBe(60_000);
        expect(await okOf(claimShort(leases, "b"))).toBeNull();
        await okOf(leases.heartbeat({ assignment_id: id, token: a.token, lease_ms: SHORT_LEASE_MS }));

        await outlive();
        const b = claimOf(await okOf(claimShort(leases, "b")));
        expect(
          await errOf(leases.heartbeat({ assignment_id: id, token: a.token, lease_ms: SHORT_LEASE_MS })),
        ).toMatchObject({ kind: "conflict", code: "lease_lost", detail: { id } });
        expect(
          await okOf(leases.heartbeat({ assignment_id: id, token: b.token, lease_ms: SHORT_LEASE_MS })),
        ).toMatchObject({ worker_id: "b", token: b.token, assignment: { id, version: 2 } });
      });

      it("fences a frozen holder out when a restarted twin reuses its worker id: the old token renews and writes nothing", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { f, records, ready } = await seedReady(port, 1);
        const id = ready[0]?.id ?? "";
        const frozen = claimOf(await okOf(claimShort(leases, "pod-0")));
        await outlive();
        const twin = claimOf(await okOf(claimShort(leases, "pod-0")));
        expect(twin.token).not.toBe(frozen.token);

        expect(
          await errOf(leases.heartbeat({ assignment_id: id, token: frozen.token, lease_ms: SHORT_LEASE_MS })),
        ).toMatchObject({ kind: "conflict", code: "lease_lost" });
        // The frozen process's write names the card's current version (it re-read it), and is still refused.
        const stolen = await errOf(
          port.write(dispatchUnder(f, records.run, twin, { assignment_id: id, token: frozen.token })),
        );
        expect(stolen).toMatchObject({ kind: "conflict", code: "lease_lost", detail: { id } });
        expect(await okOf(port.getAssignment(id))).toEqual(twin.assignment);
        expect(await okOf(port.listEvents(records.run.id))).toEqual([]);
        // Released by the frozen token: a no-op; the twin's lease holds.
        await okOf(leases.releaseLease({ assignment_id: id, token: frozen.token }));
        expect(await okOf(claimShort(leases, "pod-1"))).toBeNull();

        const won = await okOf(
          port.write(dispatchUnder(f, records.run, twin, { assignment_id: id, token: twin.token })),
        );
        expect(won.assignments[0]).toMatchObject({ phase: "agent_running", version: 3 });
        expect(won.events).toHaveLength(1);
      });

      it("refuses a fenced write, whole, whose token is released, unknown or of another card; validation for a malformed fence", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { f, records, ready } = await seedReady(port, 2);
        const [one, two] = [ready[0]?.id ?? "", ready[1]?.id ?? ""];
        const lease = claimOf(await okOf(claimShort(leases, "a")));
        const other = claimOf(await okOf(claimShort(leases, "a")));
        expect([lease.assignment.id, other.assignment.id]).toEqual([one, two]);
        const eventsOnly = (fence: unknown) =>
          port.write({ fence, events: [f.event(records.run)] } as StorageWrite);

        // A write that does not touch the card itself is fenced too.
        await okOf(eventsOnly({ assignment_id: one, token: lease.token }));
        for (const fence of [
          { assignment_id: one, token: other.token },
          { assignment_id: one, token: "never-issued" },
          { assignment_id: f.newId(), token: lease.token },
        ]) {
          expect(await errOf(eventsOnly(fence))).toMatchObject({
            kind: "conflict",
            code: "lease_lost",
            detail: { id: fence.assignment_id },
          });
        }
        for (const fence of [{ assignment_id: one }, { assignment_id: one, token: "" }, "token"]) {
          expect(await errOf(eventsOnly(fence))).toMatchObject({ kind: "validation" });
        }
        await okOf(leases.releaseLease({ assignment_id: one, token: lease.token }));
        expect(await errOf(eventsOnly({ assignment_id: one, token: lease.token }))).toMatchObject({
          kind: "conflict",
          code: "lease_lost",
        });
        expect((await okOf(port.listEvents(records.run.id))).length).toBe(1);
      });

      it(
        "serialises fenced writes with a takeover: once the new claim is granted, no write under the old token lands",
        async (ctx) => {
          const { port, leases } = await freshLeases(ctx);
          const { f, records, ready } = await seedReady(port, 1);
          const id = ready[0]?.id ?? "";
          const old = claimOf(await okOf(claimShort(leases, "a")));
          await outlive();
          const fence = { assignment_id: id, token: old.token };
          // 20 event writes under the old token race one takeover; each lands wholly before it, or not at all.
          const writes = Array.from({ length: 20 }, () =>
            port.write({ fence, events: [f.event(records.run)] }),
          );
          // A claim skips a card whose fenced write is in flight (it holds the row until it commits): a worker
          // polls again, and so does this test, until the writes have drained.
          let taken: AssignmentLease | null = null;
          for (let attempt = 0; attempt < 200 && taken === null; attempt++) {
            taken = await okOf(claimShort(leases, "b"));
            if (taken === null) await new Promise((resolve) => setTimeout(resolve, 10));
          }
          const answers = await Promise.all(writes);
          const takeover = claimOf(taken);
          const landed = answers.filter((r) => r.isOk()).length;
          for (const answer of answers) {
            if (answer.isErr()) expect(answer.error).toMatchObject({ kind: "conflict", code: "lease_lost" });
          }
          expect((await okOf(port.listEvents(records.run.id))).length).toBe(landed);
          expect(await errOf(port.write({ fence, events: [f.event(records.run)] }))).toMatchObject({
            code: "lease_lost",
          });
          await okOf(port.write({ fence: { assignment_id: id, token: takeover.token }, events: [] }));
        },
        concurrencyTimeout,
      );

      it("outdates the previous holder: after a takeover its versioned write fails with stale_version", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        await seedReady(port, 1);
        const mine = claimOf(await okOf(claimShort(leases, "a")));
        await outlive();
        const theirs = claimOf(await okOf(claimShort(leases, "b")));
        const dispatched = (lease: AssignmentLease): CardAssignment => ({
          ...lease.assignment,
          phase: "agent_running",
          status: "running",
          updated_at: at(1_002),
        });

        expect(
          await errOf(
            port.write({
              assignments: [{ record: dispatched(mine), expected_version: mine.assignment.version }],
            }),
          ),
        ).toMatchObject({
          kind: "conflict",
          code: "stale_version",
          detail: { id: mine.assignment.id, expected_version: 1, actual_version: 2 },
        });
        const won = await okOf(
          port.write({
            assignments: [{ record: dispatched(theirs), expected_version: theirs.assignment.version }],
          }),
        );
        expect(won.assignments[0]).toMatchObject({ phase: "agent_running", version: 3 });
        expect(await okOf(port.getAssignment(theirs.assignment.id))).toEqual(won.assignments[0]);
      });

      it("makes a released assignment claimable again; releasing under a token that is not current changes nothing", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { ready } = await seedReady(port, 1);
        const id = ready[0]?.id ?? "";
        const claim = (worker_id: string) => leases.claimNextAssignment({ worker_id, lease_ms: 60_000 });
        const a = claimOf(await okOf(claim("a")));

        await okOf(leases.releaseLease({ assignment_id: id, token: "not-a's" }));
        expect(await okOf(claim("c"))).toBeNull();

        await okOf(leases.releaseLease({ assignment_id: id, token: a.token }));
        expect(claimOf(await okOf(claim("c")))).toMatchObject({
          worker_id: "c",
          assignment: { id, version: 2 },
        });
        await okOf(leases.releaseLease({ assignment_id: id, token: a.token }));
        expect(await okOf(claim("d"))).toBeNull();
        expect(
          await errOf(leases.heartbeat({ assignment_id: id, token: a.token, lease_ms: 1_000 })),
        ).toMatchObject({ kind: "conflict", code: "lease_lost" });
      });

      it("answers not_found to a heartbeat on an unknown assignment and validation to malformed input", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { f } = await seedReady(port, 1);
        const ghost = f.newId();
        expect(
          await errOf(leases.heartbeat({ assignment_id: ghost, token: "t", lease_ms: 1_000 })),
        ).toMatchObject({ kind: "not_found", detail: { id: ghost } });
        await okOf(leases.releaseLease({ assignment_id: ghost, token: "t" }));

        for (const input of [
          { worker_id: "", lease_ms: 1_000 },
          { worker_id: "a", lease_ms: 0 },
          { worker_id: "a", lease_ms: 1_000, now: "yesterday" },
          { worker_id: "a", lease_ms: 1_000, phases: ["sleeping" as CardAssignment["phase"]] },
        ]) {
          expect(await errOf(leases.claimNextAssignment(input))).toMatchObject({ kind: "validation" });
        }
        expect(
          await errOf(leases.heartbeat({ assignment_id: ghost, token: "", lease_ms: 1_000 })),
        ).toMatchObject({ kind: "validation" });
        expect(
          claimOf(
            await okOf(leases.claimNextAssignment({ worker_id: "a", lease_ms: 1_000, now: FIXTURE_TIME })),
          ).assignment.version,
        ).toBe(1);
      });

      it("answers cancelled to lease calls whose signal is already aborted, and claims nothing", async (ctx) => {
        const { port, leases } = await freshLeases(ctx);
        const { ready } = await seedReady(port, 1);
        const id = ready[0]?.id ?? "";
        const controller = new AbortController();
        controller.abort();
        const call = { signal: controller.signal };

        const cancelled = { kind: "cancelled" };
        expect(
          await errOf(leases.claimNextAssignment({ worker_id: "a", lease_ms: 1_000 }, call)),
        ).toMatchObject(cancelled);
        expect(
          await errOf(leases.heartbeat({ assignment_id: id, token: "t", lease_ms: 1_000 }, call)),
        ).toMatchObject(cancelled);
        expect(await errOf(leases.releaseLease({ assignment_id: id, token: "t" }, call))).toMatchObject(
          cancelled,
        );
        expect((await okOf(port.getAssignment(id))).version).toBe(0);
      });
    });
  });
}
