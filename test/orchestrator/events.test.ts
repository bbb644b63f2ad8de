import { describe, expect, it } from "vitest";
import {
  createOrchestrator,
  parseRunEvent,
  RUN_LOG_EVENT_TYPES,
  type TypedRunEvent,
} from "../../src/index.js";
import { closeAsPerson } from "../../src/testing/fakes/in-memory-pull-request-host.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const WORK = { commits: [{ files: { "src/cart/total.ts": "1\n" }, message: "total" }] };

async function collect(stream: AsyncIterable<TypedRunEvent>): Promise<TypedRunEvent[]> {
  const seen: TypedRunEvent[] = [];
  for await (const e of stream) seen.push(e);
  return seen;
}

describe("typed, durable events", () => {
  it("writes only catalogued event types whose payloads fit their schemas, over a whole lifecycle", async () => {
    const { ports, orchestrator } = setup({ agent: { [CARD]: [WORK, WORK] } });
    ports.checks.queue("unit", "failed");
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const card = built.assignments[0]?.id ?? "";
    (await orchestrator.retryChecks({ assignment_id: card }))._unsafeUnwrap();
    const approval = (await orchestrator.getRun(built.run.id))._unsafeUnwrap().approvals[0];
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval?.id ?? "",
      decision: "approve",
      decided_by: "user:alice",
    });
    const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: card }))._unsafeUnwrap();
    closeAsPerson(ports.pullRequests, pr.pr_url ?? "", "bob");
    (await orchestrator.observePullRequest({ assignment_id: card }))._unsafeUnwrap();
    (await orchestrator.cleanupRun({ run_id: built.run.id }))._unsafeUnwrap();

    const stored = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    for (const e of stored) {
      const typed = parseRunEvent(e);
      expect(typed.isOk(), `${e.event_type}: ${typed.isErr() ? typed.error.message : ""}`).toBe(true);
    }
    const types = new Set(stored.map((e) => e.event_type));
    for (const t of types) expect(RUN_LOG_EVENT_TYPES).toContain(t);
    expect(types).toContain("agent.progress");
    expect(types).toContain("checks.retried");
    expect(types).toContain("run.cleaned_up");
  });

  it("refuses an event type it does not know, and a payload that does not fit", () => {
    const base = {
      id: "00000000-0000-4000-8000-000000000001",
      run_id: "00000000-0000-4000-8000-000000000002",
      project_id: "00000000-0000-4000-8000-000000000003",
      actor: "system:rungate",
      created_at: "2026-01-01T00:00:00.000Z",
      sequence: 1,
    };
    expect(parseRunEvent({ ...base, event_type: "run.exploded", payload: {} })._unsafeUnwrapErr().code).toBe(
      "unknown_event_type",
    );
    expect(
      parseRunEvent({ ...base, event_type: "check.completed", payload: { check_type: 1 } })._unsafeUnwrapErr()
        .code,
    ).toBe("invalid_event_payload");
  });

  it("reads a finished run's log from a cursor and ends", async () => {
    const { ports, orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "secrets/x": "1\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.run.phase).toBe("failed");
    const stored = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    const all = await collect(orchestrator.events(built.run.id));
    expect(all.map((e) => e.sequence)).toEqual(stored.map((e) => e.sequence));
    const rest = await collect(orchestrator.events({ run_id: built.run.id, after: 5 }));
    expect(rest.map((e) => e.sequence)).toEqual(stored.filter((e) => e.sequence > 5).map((e) => e.sequence));
  });

  it("follows a run driven by another orchestrator on the same store: same events, in order, no gap, then ends", async () => {
    const { ports } = setup({ agent: { [CARD]: [{ delay_ms: 50, ...WORK }] } });
    const driver = createOrchestrator(ports);
    const watcher = createOrchestrator(ports);
    const created = (await driver.createRun(cardRequest()))._unsafeUnwrap();
    const followed = collect(watcher.events({ run_id: created.run.id, poll_ms: 10 }));
    (await driver.resumeRun(created.run.id))._unsafeUnwrap();
    (await driver.cancelRun({ run_id: created.run.id, cancelled_by: "user:alice" }))._unsafeUnwrap();
    const seen = await followed;
    const stored = (await ports.storage.listEvents(created.run.id))._unsafeUnwrap();
    expect(seen.map((e) => e.id)).toEqual(stored.map((e) => e.id));
    expect(seen.map((e) => e.sequence)).toEqual(seen.map((_, i) => i + 1));
  });
});

describe("agent progress", () => {
  it("stores the agent's lines as redacted events, at most one per interval", async () => {
    const secret = "sk-live-progress-0123456789";
    const files = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`src/f${i}.ts`, `${i}\n`]));
    files[`src/${secret}.ts`] = "x\n";
    const { ports, orchestrator } = setup(
      { agent: { [CARD]: [{ commits: [{ files }] }] } },
      { secrets: [secret], progress_interval_ms: 60_000 },
    );
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const progress = (await ports.storage.listEvents(built.run.id))
      ._unsafeUnwrap()
      .filter((e) => e.event_type === "agent.progress");
    // 30+ lines within one interval: the first at once, the newest of the rest when the attempt ended.
    expect(progress).toHaveLength(2);
    expect(progress[0]?.payload).toMatchObject({ dropped: 0, message: expect.stringContaining("started") });
    expect(Number(progress[1]?.payload.dropped)).toBeGreaterThan(25);
    expect(JSON.stringify(progress)).not.toContain(secret);
  });

  it("passes every stored progress line through the redaction boundary", async () => {
    const secret = "sk-live-progress-0123456789";
    const { ports, orchestrator } = setup(
      { agent: { [CARD]: [{ commits: [{ files: { [`src/${secret}.ts`]: "x\n" } }] }] } },
      { secrets: [secret], progress_interval_ms: 0 },
    );
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const lines = (await ports.storage.listEvents(built.run.id))
      ._unsafeUnwrap()
      .filter((e) => e.event_type === "agent.progress")
      .map((e) => String(e.payload.message));
    expect(lines.some((l) => l.startsWith("writing src/[redacted]"))).toBe(true);
    expect(lines.join("\n")).not.toContain(secret);
  });
});
