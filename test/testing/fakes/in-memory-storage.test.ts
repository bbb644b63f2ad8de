import { describe, expect, it } from "vitest";
import { validateRunInputAgainstPolicy } from "../../../src/core/policy/validate-run-input.js";
import { newCardAssignment, newOrchestrationRun } from "../../../src/core/run/new-run.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import type { RunEventDraft } from "../../../src/ports/storage-port.js";
import { describeStoragePortContract } from "../../../src/testing/contracts/storage-port.js";
import { createInMemoryStorage, type InMemoryStorage } from "../../../src/testing/fakes/in-memory-storage.js";
import { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "../../../src/testing/fixtures.js";
import { expectOk } from "../../../src/testing/result-expectations.js";

describeStoragePortContract({
  name: "in-memory",
  make: () => createInMemoryStorage(),
  capabilities: {
    changes: true,
    listCardAssignments: true,
    tamper: async (port, run_id, mutate) => (port as InMemoryStorage).tamperRun(run_id, mutate),
  },
});

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();
const run = newOrchestrationRun(validated, { run_id: fixtureId(1), now: FIXTURE_TIME })._unsafeUnwrap();
const [card] = validated.cards;
if (!card) throw new Error("the fixture run input has a card");
const assignment = newCardAssignment(run, card, {
  assignment_id: fixtureId(2),
  now: FIXTURE_TIME,
})._unsafeUnwrap();

function event(id: number, of: OrchestrationRun = run): RunEventDraft {
  return {
    id: fixtureId(id),
    run_id: of.id,
    project_id: of.project_id,
    event_type: "run.created",
    actor: "system:rungate",
    payload: { note: "hello" },
    created_at: FIXTURE_TIME,
  };
}

async function seeded(): Promise<InMemoryStorage> {
  const storage = createInMemoryStorage();
  (
    await storage.write({
      runs: [{ record: run, expected_version: null }],
      assignments: [{ record: assignment, expected_version: null }],
      events: [event(10)],
    })
  )._unsafeUnwrap();
  return storage;
}

describe("in-memory storage", () => {
  it("is named after its options", () => {
    expect(createInMemoryStorage().name).toBe("in-memory-storage");
    expect(createInMemoryStorage({ name: "db-a" }).name).toBe("db-a");
  });

  it("keeps its own copy of what is written, and hands out records that refuse mutation", async () => {
    const storage = createInMemoryStorage();
    const written = structuredClone(assignment);
    const event10 = event(10);
    (
      await storage.write({
        runs: [{ record: run, expected_version: null }],
        assignments: [{ record: written, expected_version: null }],
        events: [event10],
      })
    )._unsafeUnwrap();
    const mutable = written as {
      status: string;
      allowed_paths: string[];
      assignment_input_snapshot: unknown;
    };
    mutable.status = "failed";
    mutable.allowed_paths.push("**");
    (mutable.assignment_input_snapshot as Record<string, unknown>).title = "changed";
    (event10.payload as Record<string, unknown>).note = "changed";

    // A read is deep-frozen: a caller that edits it fails at once instead of changing what others read.
    const read = (await storage.getRun(run.id))._unsafeUnwrap() as { status: string };
    expect(() => {
      read.status = "failed";
    }).toThrow(TypeError);
    const events = (await storage.listEvents(run.id))._unsafeUnwrap();
    expect(() => {
      (events[0]?.payload as Record<string, unknown>).note = "changed";
    }).toThrow(TypeError);
    const listed = (await storage.listAssignments(run.id))._unsafeUnwrap();
    expect(() => listed[0]?.allowed_paths.push("**")).toThrow(TypeError);
    // The list itself is the reader's own.
    listed.pop();

    expect((await storage.getRun(run.id))._unsafeUnwrap().status).toBe("queued");
    expect((await storage.listEvents(run.id))._unsafeUnwrap()[0]?.payload).toEqual({ note: "hello" });
    expect((await storage.getAssignment(assignment.id))._unsafeUnwrap()).toEqual(assignment);
    expect((await storage.listAssignments(run.id))._unsafeUnwrap()).toEqual([assignment]);
  });

  it("shares nothing between what a read returns and what it stores: tampering after a read still works", async () => {
    const storage = await seeded();
    const read = (await storage.getRun(run.id))._unsafeUnwrap();
    expect(Object.isFrozen(read.run_input_snapshot)).toBe(true);
    expect(() =>
      storage.tamperRun(run.id, (raw) => {
        (raw.run_input_snapshot as Record<string, unknown>).initiated_by = "user:mallory";
        (raw.system_policy_snapshot as { forbidden_paths: string[] }).forbidden_paths.push("x");
      }),
    ).not.toThrow();
    expect((await storage.getRun(run.id))._unsafeUnwrapErr()).toMatchObject({
      code: "snapshot_hash_mismatch",
    });
    expect(read.run_input_snapshot).toEqual(run.run_input_snapshot);
  });

  it("parses a row once and hands the same frozen record to every read until the row is written again", async () => {
    const storage = await seeded();
    const a = (await storage.getRun(run.id))._unsafeUnwrap();
    const b = (await storage.getRun(run.id))._unsafeUnwrap();
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(Object.isFrozen(a.run_input_snapshot)).toBe(true);
    const [x] = (await storage.listAssignments(run.id))._unsafeUnwrap();
    const [y] = (await storage.listAssignments(run.id))._unsafeUnwrap();
    expect(x).toBe(y);
    expect(Object.isFrozen(x?.allowed_paths)).toBe(true);

    expectOk(await storage.write({ runs: [{ record: { ...a, worktree_root: "/w" }, expected_version: 0 }] }));
    const c = (await storage.getRun(run.id))._unsafeUnwrap();
    expect(c).not.toBe(a);
    expect(c.worktree_root).toBe("/w");
    expect(a.worktree_root).toBe(run.worktree_root);
  });

  it("logs every port call, in order, with its input", async () => {
    const storage = await seeded();
    await storage.getRun(run.id);
    await storage.listEvents(run.id, 0);
    await storage.listCommits(assignment.id);
    await storage.listChecks(run.id);

    expect(storage.operations.map((o) => o.operation)).toEqual([
      "write",
      "getRun",
      "listEvents",
      "listCommits",
      "listChecks",
    ]);
    expect(storage.operations[0]).toMatchObject({ write: { events: [{ id: fixtureId(10) }] } });
    expect(storage.operations[2]).toEqual({ operation: "listEvents", run_id: run.id, after: 0 });
    expect(storage.operations[3]).toEqual({ operation: "listCommits", assignment_id: assignment.id });
    expect(Object.isFrozen(storage.operations[0])).toBe(true);
  });

  it("logs a call refused as cancelled too", async () => {
    const storage = createInMemoryStorage();
    const controller = new AbortController();
    controller.abort();
    await storage.getRun(run.id, { signal: controller.signal });
    expect(storage.operations).toEqual([{ operation: "getRun", run_id: run.id }]);
  });

  it("snapshot() returns deep copies of every table, unchanged by a failed write", async () => {
    const storage = await seeded();
    const before = storage.snapshot();
    expect(before.runs).toHaveLength(1);
    expect(before.assignments).toHaveLength(1);
    expect(before.events).toEqual([expect.objectContaining({ id: fixtureId(10), sequence: 1 })]);
    expect(before.idempotency_keys).toEqual([]);

    const failed = await storage.write({
      runs: [{ record: run, expected_version: 3 }],
      events: [event(11)],
      checks: [
        {
          id: fixtureId(20),
          run_id: run.id,
          assignment_id: null,
          check_type: "unit",
          status: "passed",
          output: null,
          executed_at: null,
          head_sha: null,
          duration_ms: null,
        },
      ],
    });
    expect(failed._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "stale_version" });
    expect(storage.snapshot()).toEqual(before);

    (before.runs[0] as Record<string, unknown>).status = "failed";
    expect(storage.snapshot().runs[0]?.status).toBe("queued");
  });

  it("records the idempotency keys of applied writes", async () => {
    const storage = createInMemoryStorage();
    await storage.write({ idempotency_key: "k1", runs: [{ record: run, expected_version: null }] });
    await storage.write({ idempotency_key: "k1", runs: [{ record: run, expected_version: null }] });
    expect(storage.snapshot().idempotency_keys).toEqual(["k1"]);
  });

  it("tamperRun throws for a run it does not hold", () => {
    expect(() => createInMemoryStorage().tamperRun(run.id, () => {})).toThrow(/no stored run/);
  });

  it("refuses a legacy run with no snapshot hashes (snapshot_unhashed)", async () => {
    const storage = await seeded();
    storage.tamperRun(run.id, (raw) => {
      raw.snapshot_hashes = null;
    });
    expect((await storage.getRun(run.id))._unsafeUnwrapErr()).toMatchObject({
      kind: "validation",
      code: "snapshot_unhashed",
    });
  });

  it("refuses a stored record that no longer parses (invalid_stored_record)", async () => {
    const storage = await seeded();
    storage.tamperRun(run.id, (raw) => {
      raw.status = "exploded";
    });
    expect((await storage.getRun(run.id))._unsafeUnwrapErr()).toMatchObject({
      kind: "validation",
      code: "invalid_stored_record",
    });
  });

  it("refuses a record that does not parse (invalid_record), with the path into the write", async () => {
    const storage = createInMemoryStorage();
    const bad = { ...run, repo_url: "" } as OrchestrationRun;
    const error = (
      await storage.write({ runs: [{ record: bad, expected_version: null }] })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "validation", code: "invalid_record" });
    expect(error.kind === "validation" && error.detail.issues[0]?.path).toEqual([
      "runs",
      0,
      "record",
      "repo_url",
    ]);
    expect(storage.snapshot().runs).toEqual([]);
  });

  it("refuses the same id twice in one write (conflict duplicate_in_write)", async () => {
    const storage = createInMemoryStorage();
    const error = (
      await storage.write({
        runs: [
          { record: run, expected_version: null },
          { record: run, expected_version: null },
        ],
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "conflict", code: "duplicate_in_write" });
    expect(storage.snapshot().runs).toEqual([]);
  });

  it("refuses an assignment or a check of an unknown run (not_found)", async () => {
    const storage = createInMemoryStorage();
    const error = (
      await storage.write({ assignments: [{ record: assignment, expected_version: null }] })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "not_found", detail: { entity: "run", id: run.id } });
  });

  it("answers on a later microtask, not synchronously", async () => {
    const storage = await seeded();
    let settled = false;
    const pending = storage.getRun(run.id).then(() => {
      settled = true;
    });
    expect(settled).toBe(false);
    await pending;
    expect(settled).toBe(true);
  });

  it("answers cancelled to a write whose signal aborts after the call but before it runs, storing nothing", async () => {
    const storage = createInMemoryStorage();
    const controller = new AbortController();
    const pending = storage.write(
      { runs: [{ record: run, expected_version: null }] },
      { signal: controller.signal },
    );
    controller.abort();
    expect((await pending)._unsafeUnwrapErr()).toMatchObject({ kind: "cancelled" });
    expect(storage.snapshot().runs).toEqual([]);
  });
});
