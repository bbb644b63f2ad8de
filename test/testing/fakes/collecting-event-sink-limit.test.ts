import { describe, expect, it } from "vitest";
import type { RunEvent } from "../../../src/core/schemas/run-event.js";
import { DEFAULT_LOG_LIMIT } from "../../../src/internal/bounded/bounded-log.js";
import { createCollectingEventSink } from "../../../src/testing/fakes/collecting-event-sink.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";

function event(n: number): RunEvent {
  return {
    id: fixtureId(n),
    run_id: fixtureId(1),
    project_id: fixtureId(2),
    event_type: "run.transitioned",
    actor: "system:rungate",
    payload: {},
    created_at: FIXTURE_TIME,
    sequence: n,
  };
}

describe("a long-lived collecting event sink keeps the newest log_limit events", () => {
  it("keeps the newest ones, in delivery order, and counts every publish", async () => {
    const sink = createCollectingEventSink({ log_limit: 3 });
    for (let n = 1; n <= 9; n += 3) await sink.publish([event(n), event(n + 1), event(n + 2)]);
    expect(sink.events.map((e) => e.sequence)).toEqual([7, 8, 9]);
    expect(sink.publishCalls).toBe(3);
    sink.clear();
    expect(sink.events).toEqual([]);
  });

  it("is bounded by default and keeps everything with Infinity", async () => {
    const bounded = createCollectingEventSink();
    const unbounded = createCollectingEventSink({ log_limit: Number.POSITIVE_INFINITY });
    const events = Array.from({ length: DEFAULT_LOG_LIMIT + 5 }, (_, i) => event(i + 1));
    await bounded.publish(events);
    await unbounded.publish(events);
    expect(bounded.events).toHaveLength(DEFAULT_LOG_LIMIT);
    expect(bounded.events[0]?.sequence).toBe(6);
    expect(unbounded.events).toHaveLength(DEFAULT_LOG_LIMIT + 5);
  });
});
