import { describe, expect, it } from "vitest";
import { validateRunInputAgainstPolicy } from "../../../src/core/policy/validate-run-input.js";
import { newOrchestrationRun } from "../../../src/core/run/new-run.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import { RUN_PHASE_STATUS } from "../../../src/core/schemas/phases.js";
import { createOrchestrator, type Orchestrator } from "../../../src/index.js";
import {
  createInMemoryStorage,
  type InMemoryStorage,
  type InMemoryStorageOptions,
} from "../../../src/testing/fakes/in-memory-storage.js";
import { DEFAULT_RETAIN_ENDED_RUNS } from "../../../src/testing/fakes/run-retention.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";
import { createInMemoryPorts, type InMemoryPorts } from "../../../src/testing/in-memory-ports.js";
import { mergeAsPerson } from "../../../src/testing/index.js";
import { expectOk } from "../../../src/testing/result-expectations.js";

/** In-memory ports whose store keeps `retain_ended_runs` ended runs. */
function ports(retain: InMemoryStorageOptions["retain_ended_runs"]): InMemoryPorts {
  const base = createInMemoryPorts();
  const storage = createInMemoryStorage({
    clock: base.clock,
    ...(retain === undefined ? {} : { retain_ended_runs: retain }),
  });
  return { ...base, storage };
}

/** The run request of card `n` (each lifecycle on its own card, as the long-lived bench does). */
function request(n: number) {
  const card_id = fixtureId(10_000 + n);
  const input = runInputFixture();
  const cards = input.cards.map((c) => ({ ...c, card_id }));
  return { ...input, card_id, cards, policy: policyFixture() };
}

/** Builds card `n` up to approval: a run that has not ended. */
async function build(orchestrator: Orchestrator, n: number) {
  return expectOk(await orchestrator.triggerBuild(request(n)));
}

/** A whole lifecycle of card `n`: build, approve, draft PR, a person merges, the merge observed (completed). */
async function lifecycle(p: InMemoryPorts, orchestrator: Orchestrator, n: number): Promise<string> {
  const built = await build(orchestrator, n);
  return finish(p, orchestrator, built);
}

async function finish(
  p: InMemoryPorts,
  orchestrator: Orchestrator,
  built: Awaited<ReturnType<typeof build>>,
): Promise<string> {
  const [assignment] = built.assignments;
  const [approval] = built.approvals;
  if (!assignment || !approval) throw new Error("the build did not reach approval");
  expectOk(
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "alice",
    }),
  );
  const pr = expectOk(await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id }));
  expectOk(mergeAsPerson(p.pullRequests, pr.pr_url ?? "", "bob"));
  expectOk(await orchestrator.observePullRequest({ assignment_id: assignment.id }));
  const run = expectOk(await p.storage.getRun(built.run.id));
  expect(run.phase).toBe("completed");
  return run.id;
}

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();

const template = newOrchestrationRun(validated, { run_id: fixtureId(1), now: FIXTURE_TIME })._unsafeUnwrap();

/** Writes run `n` straight into `storage` and, unless `live`, ends it (cancelled) in a second write. */
async function storedRun(storage: InMemoryStorage, n: number, live = false): Promise<OrchestrationRun> {
  // The snapshots and their hashes do not depend on the run's id: one built run serves every id.
  const run = { ...template, id: fixtureId(n) };
  expectOk(await storage.write({ runs: [{ record: run, expected_version: null }] }));
  if (live) return run;
  const ended = {
    ...run,
    phase: "cancelled" as const,
    status: RUN_PHASE_STATUS.cancelled,
    ended_at: FIXTURE_TIME,
  };
  expectOk(await storage.write({ runs: [{ record: ended, expected_version: 0 }] }));
  return ended;
}

describe("a long-lived in-memory store keeps the newest ended runs, and every run that has not ended", () => {
  it("after 3×N lifecycles with retain_ended_runs N it holds N runs, and nothing of the forgotten ones", async () => {
    const N = 3;
    const p = ports(N);
    const orchestrator = createOrchestrator(p);
    const ids: string[] = [];
    for (let n = 0; n < 3 * N; n++) ids.push(await lifecycle(p, orchestrator, n));
    const kept = ids.slice(-N);
    const forgotten = ids.slice(0, -N);

    const tables = p.storage.snapshot();
    expect(tables.runs.map((r) => r.id)).toEqual(kept);
    // Every child row belongs to a kept run, and each kept run still has all of its own.
    for (const table of [
      "assignments",
      "approvals",
      "pull_requests",
      "checks",
      "executions",
      "events",
    ] as const) {
      expect(new Set(tables[table].map((row) => row.run_id))).toEqual(new Set(kept));
    }
    const assignments = new Set(tables.assignments.map((a) => String(a.id)));
    expect(tables.commits.length).toBeGreaterThan(0);
    expect(tables.commits.every((c) => assignments.has(String(c.assignment_id)))).toBe(true);
    // The keys of the lifecycle's writes name their card's assignment: only kept cards' keys are left.
    expect(tables.idempotency_keys).toHaveLength(2 * N);
    expect(tables.idempotency_keys.every((key) => [...assignments].some((id) => key.includes(id)))).toBe(
      true,
    );

    // A forgotten run reads as one never stored.
    for (const run_id of forgotten) {
      expect((await p.storage.getRun(run_id))._unsafeUnwrapErr()).toMatchObject({
        kind: "not_found",
        code: "run_not_found",
      });
      expect(expectOk(await p.storage.listAssignments(run_id))).toEqual([]);
      expect(expectOk(await p.storage.listEvents(run_id))).toEqual([]);
      expect(expectOk(await p.storage.listChecks(run_id))).toEqual([]);
    }
    const listed = expectOk(await p.storage.listRuns({ limit: 100 }));
    expect(listed.runs.map((r) => r.id).sort()).toEqual([...kept].sort());
    // A kept run is whole: its events are gap-free from 1.
    const [last] = kept.slice(-1);
    const events = expectOk(await p.storage.listEvents(last ?? ""));
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  });

  it("never forgets a run awaiting approval, however many lifecycles end after it; it can still finish", async () => {
    const N = 2;
    const p = ports(N);
    const orchestrator = createOrchestrator(p);
    const waiting = await build(orchestrator, 999);
    expect(waiting.run.phase).toBe("awaiting_approval");
    for (let n = 0; n < 5 * N; n++) await lifecycle(p, orchestrator, n);

    expect(p.storage.snapshot().runs).toHaveLength(N + 1);
    const state = expectOk(await p.storage.getRun(waiting.run.id));
    expect(state.phase).toBe("awaiting_approval");
    expect(expectOk(await p.storage.listApprovals(waiting.run.id))).toHaveLength(1);
    await finish(p, orchestrator, waiting);
  });

  it("keeps a live run a misbehaving host left open while thousands of others ended", async () => {
    const storage = createInMemoryStorage({ retain_ended_runs: 10 });
    const live = await storedRun(storage, 1, true);
    for (let n = 2; n < 2_002; n++) await storedRun(storage, n);

    const runs = storage.snapshot().runs;
    expect(runs).toHaveLength(11);
    expect(runs[0]?.id).toBe(live.id);
    expect(expectOk(await storage.getRun(live.id)).phase).toBe("queued");
    // It is still written to as any run.
    expectOk(await storage.write({ runs: [{ record: live, expected_version: 0 }] }));
    // 4,000 writes: about 1.5 s here; a budget for slow CI machines.
  }, 30_000);

  it("forgets the run that ended longest ago, not the one created first", async () => {
    const storage = createInMemoryStorage({ retain_ended_runs: 2 });
    const [a, b, c] = [
      await storedRun(storage, 1, true),
      await storedRun(storage, 2, true),
      await storedRun(storage, 3, true),
    ];
    const end = async (run: OrchestrationRun) => {
      const ended = {
        ...run,
        phase: "failed" as const,
        status: RUN_PHASE_STATUS.failed,
        ended_at: FIXTURE_TIME,
      };
      expectOk(await storage.write({ runs: [{ record: ended, expected_version: 0 }] }));
    };
    await end(b);
    await end(a);
    await end(c);
    expect(storage.snapshot().runs.map((r) => r.id)).toEqual([a.id, c.id]);
  });

  it("refuses a write that refers to a forgotten run, as for an unknown one", async () => {
    const storage = createInMemoryStorage({ retain_ended_runs: 1 });
    const first = await storedRun(storage, 1);
    await storedRun(storage, 2);
    const failed = await storage.write({
      events: [
        {
          id: fixtureId(50),
          run_id: first.id,
          project_id: first.project_id,
          event_type: "run.created",
          actor: "system:rungate",
          payload: {},
          created_at: FIXTURE_TIME,
        },
      ],
    });
    expect(failed._unsafeUnwrapErr()).toMatchObject({ kind: "not_found", code: "run_not_found" });
  });

  it("forgets an idempotency key with the run its write touched, keeps those of kept runs", async () => {
    const storage = createInMemoryStorage({ retain_ended_runs: 1 });
    const make = (n: number) =>
      newOrchestrationRun(validated, { run_id: fixtureId(n), now: FIXTURE_TIME })._unsafeUnwrap();
    const first = make(1);
    expectOk(
      await storage.write({ idempotency_key: "create-1", runs: [{ record: first, expected_version: null }] }),
    );
    expect(storage.snapshot().idempotency_keys).toEqual(["create-1"]);
    const ended = {
      ...first,
      phase: "cancelled" as const,
      status: RUN_PHASE_STATUS.cancelled,
      ended_at: FIXTURE_TIME,
    };
    expectOk(await storage.write({ runs: [{ record: ended, expected_version: 0 }] }));
    await storedRun(storage, 2);
    expect(storage.snapshot().idempotency_keys).toEqual([]);
    // The key is free again: the same write is applied anew, not replayed.
    const again = expectOk(
      await storage.write({ idempotency_key: "create-1", runs: [{ record: first, expected_version: null }] }),
    );
    expect(again.replayed).toBe(false);
  });

  it("is bounded by default: it keeps DEFAULT_RETAIN_ENDED_RUNS ended runs", async () => {
    expect(Number.isFinite(DEFAULT_RETAIN_ENDED_RUNS)).toBe(true);
    const storage = createInMemoryStorage();
    for (let n = 1; n <= DEFAULT_RETAIN_ENDED_RUNS + 5; n++) await storedRun(storage, n);
    const runs = storage.snapshot().runs;
    expect(runs).toHaveLength(DEFAULT_RETAIN_ENDED_RUNS);
    expect(runs[0]?.id).toBe(fixtureId(6));
  }, 30_000);

  it("keeps everything with Infinity", async () => {
    const N = 2;
    const p = ports(Number.POSITIVE_INFINITY);
    const orchestrator = createOrchestrator(p);
    for (let n = 0; n < 3 * N; n++) await lifecycle(p, orchestrator, n);
    expect(p.storage.snapshot().runs).toHaveLength(3 * N);
  });

  it("refuses a bound below 1", () => {
    expect(() => createInMemoryStorage({ retain_ended_runs: 0 })).toThrow(RangeError);
    expect(() => createInMemoryStorage({ retain_ended_runs: Number.NaN })).toThrow(RangeError);
  });
});
