import { describe, expect, it } from "vitest";
import { rungateError } from "../../../src/core/errors.js";
import type { RunEvent } from "../../../src/core/schemas/run-event.js";
import { describeClockContract } from "../../../src/testing/contracts/clock.js";
import { describeIdGeneratorContract } from "../../../src/testing/contracts/ids.js";
import { createCollectingEventSink } from "../../../src/testing/fakes/collecting-event-sink.js";
import { createSequentialIds } from "../../../src/testing/fakes/sequential-ids.js";
import { createSimulatedClock } from "../../../src/testing/fakes/simulated-clock.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";

describeClockContract({ name: "simulated clock", make: () => createSimulatedClock() });
describeClockContract({
  name: "frozen simulated clock",
  make: () => createSimulatedClock(FIXTURE_TIME, { autoAdvanceMs: 0 }),
});
describeIdGeneratorContract({ name: "sequential ids", make: () => createSequentialIds() });
describeIdGeneratorContract({
  name: "sequential ids with a prefix",
  make: () => createSequentialIds(0, { prefix: 0xfff }),
});

describe("simulated clock", () => {
  it("starts at the given instant and moves one second per reading by default", () => {
    const clock = createSimulatedClock();
    expect([clock.now(), clock.now(), clock.now()]).toEqual([
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:01.000Z",
      "2026-01-01T00:00:02.000Z",
    ]);
  });

  it("moves by autoAdvanceMs per reading, or not at all with 0", () => {
    const clock = createSimulatedClock("2030-05-05T10:00:00.000Z", { autoAdvanceMs: 5 });
    expect([clock.now(), clock.now()]).toEqual(["2030-05-05T10:00:00.000Z", "2030-05-05T10:00:00.005Z"]);
    const frozen = createSimulatedClock(FIXTURE_TIME, { autoAdvanceMs: 0 });
    expect([frozen.now(), frozen.now()]).toEqual([FIXTURE_TIME, FIXTURE_TIME]);
  });

  it("normalises the start instant to UTC with milliseconds", () => {
    expect(createSimulatedClock("2026-01-01T01:00:00+01:00").now()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("peeks without moving", () => {
    const clock = createSimulatedClock();
    expect(clock.peek()).toBe(FIXTURE_TIME);
    expect(clock.peek()).toBe(FIXTURE_TIME);
    expect(clock.now()).toBe(FIXTURE_TIME);
    expect(clock.peek()).toBe("2026-01-01T00:00:01.000Z");
  });

  it("advances by a duration and returns the new instant", () => {
    const clock = createSimulatedClock();
    expect(clock.advance(60_000)._unsafeUnwrap()).toBe("2026-01-01T00:01:00.000Z");
    expect(clock.now()).toBe("2026-01-01T00:01:00.000Z");
  });

  it("refuses to advance by a negative or non-finite duration, staying where it was", () => {
    const clock = createSimulatedClock();
    expect(clock.advance(-1)._unsafeUnwrapErr()).toMatchObject({
      kind: "validation",
      code: "clock_backwards",
    });
    expect(clock.advance(Number.NaN)._unsafeUnwrapErr()).toMatchObject({
      kind: "validation",
      code: "invalid_duration",
    });
    expect(clock.peek()).toBe(FIXTURE_TIME);
  });

  it("jumps forward with set, and refuses to go back in time", () => {
    const clock = createSimulatedClock();
    expect(clock.set("2026-02-01T00:00:00Z")._unsafeUnwrap()).toBe("2026-02-01T00:00:00.000Z");
    expect(clock.set("2026-02-01T00:00:00.000Z").isOk()).toBe(true);
    const back = clock.set("2026-01-15T00:00:00.000Z")._unsafeUnwrapErr();
    expect(back).toMatchObject({ kind: "validation", code: "clock_backwards" });
    expect(back.message).toContain("time never goes back");
    expect(clock.set("yesterday")._unsafeUnwrapErr().code).toBe("invalid_instant");
    expect(clock.now()).toBe("2026-02-01T00:00:00.000Z");
  });

  it("fails loudly on a broken setup", () => {
    expect(() => createSimulatedClock("not a date")).toThrow(/ISO-8601/);
    expect(() => createSimulatedClock(FIXTURE_TIME, { autoAdvanceMs: -1 })).toThrow(/autoAdvanceMs/);
  });
});

describe("sequential ids", () => {
  it("counts fixtureIds from start", () => {
    const ids = createSequentialIds();
    expect([ids.next(), ids.next()]).toEqual([fixtureId(1), fixtureId(2)]);
    const from = createSequentialIds(255);
    expect(from.next()).toBe("00000000-0000-4000-8000-0000000000ff");
  });

  it("writes the prefix into the third block, so generators with different prefixes never collide", () => {
    const a = createSequentialIds(1, { prefix: 1 });
    const b = createSequentialIds(1, { prefix: 2 });
    expect(a.next()).toBe("00000000-0000-4001-8000-000000000001");
    const fromA = new Set(Array.from({ length: 100 }, () => a.next()));
    const fromB = Array.from({ length: 100 }, () => b.next());
    expect(fromB.filter((id) => fromA.has(id))).toEqual([]);
    expect(createSequentialIds(1, { prefix: 0xabc }).next()).toBe("00000000-0000-4abc-8000-000000000001");
  });

  it("peeks at the next id without consuming it", () => {
    const ids = createSequentialIds(7);
    expect(ids.peek()).toBe(fixtureId(7));
    expect(ids.next()).toBe(fixtureId(7));
    expect(ids.peek()).toBe(fixtureId(8));
  });

  it("refuses a prefix or start it cannot encode, and stops when the counter is exhausted", () => {
    expect(() => createSequentialIds(1, { prefix: 0x1000 })).toThrow(/prefix/);
    expect(() => createSequentialIds(1, { prefix: 1.5 })).toThrow(/prefix/);
    expect(() => createSequentialIds(-1)).toThrow(/start/);
    const last = createSequentialIds(0xffff_ffff_ffff);
    expect(last.next()).toBe("00000000-0000-4000-8000-ffffffffffff");
    expect(() => last.next()).toThrow(/exhausted/);
  });
});

describe("collecting event sink", () => {
  const event = (n: number): RunEvent => ({
    id: fixtureId(800 + n),
    run_id: fixtureId(10),
    project_id: fixtureId(1),
    event_type: "run.created",
    actor: "system:rungate",
    payload: {},
    created_at: FIXTURE_TIME,
    sequence: n,
  });
  const down = rungateError("port_failure", "hub_down", {
    port: "EventSink",
    adapter: "collecting-event-sink",
    operation: "publish",
    retryable: true,
  });

  it("collects published events in delivery order", async () => {
    const sink = createCollectingEventSink();
    expect((await sink.publish([event(0), event(1)])).isOk()).toBe(true);
    expect((await sink.publish([event(2)])).isOk()).toBe(true);
    expect(sink.events.map((e) => e.sequence)).toEqual([0, 1, 2]);
    expect(sink.publishCalls).toBe(2);
    expect(sink.name).toBe("collecting-event-sink");
  });

  it("fails with failWith and collects nothing while broken, then recovers", async () => {
    const sink = createCollectingEventSink({ failWith: down });
    expect((await sink.publish([event(0)]))._unsafeUnwrapErr()).toBe(down);
    expect(sink.events).toEqual([]);
    sink.failWith = undefined;
    expect((await sink.publish([event(1)])).isOk()).toBe(true);
    sink.failWith = down;
    expect((await sink.publish([event(2)])).isErr()).toBe(true);
    expect(sink.events.map((e) => e.sequence)).toEqual([1]);
    expect(sink.publishCalls).toBe(3);
  });

  it("forgets collected events on clear", async () => {
    const sink = createCollectingEventSink({ name: "hub" });
    await sink.publish([event(0)]);
    sink.clear();
    expect(sink.events).toEqual([]);
    expect(sink.name).toBe("hub");
  });
});
