import { okAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import { createRunWakeups } from "../../src/orchestrator/run-wakeups.js";
import type { RunChangeHint, StoragePort } from "../../src/ports/storage-port.js";

/** A store whose only capability is a change feed the test drives by hand. */
function handDrivenChanges() {
  let listener: ((run_id: string, hint?: RunChangeHint) => void) | undefined;
  const storage = {
    changes: {
      subscribe: (l: (run_id: string, hint?: RunChangeHint) => void) => {
        listener = l;
        return okAsync({ close: () => (listener = undefined) });
      },
    },
  } as unknown as StoragePort;
  const tell = async (run_id: string, hint?: RunChangeHint) => {
    // The subscription is made asynchronously: wait for it.
    while (listener === undefined) await new Promise((r) => setTimeout(r, 1));
    listener(run_id, hint);
  };
  return { storage, tell, subscribed: () => listener !== undefined };
}

describe("run wake-ups", () => {
  it("wake a run-record watcher for a write of the run's record or one the store cannot describe, not for one it says left the record alone", async () => {
    const { storage, tell } = handDrivenChanges();
    const wakeups = createRunWakeups(storage);
    let recordWakes = 0;
    let allWakes = 0;
    const stopRecord = wakeups.watch("r1", () => recordWakes++, { run_record: true });
    const stopAll = wakeups.watch("r1", () => allWakes++);
    await tell("r1", { run_record: false });
    expect([recordWakes, allWakes]).toEqual([0, 1]);
    await tell("r1", { run_record: true });
    expect([recordWakes, allWakes]).toEqual([1, 2]);
    // No hint (an older adapter, a store that cannot tell): read, to be safe.
    await tell("r1");
    expect([recordWakes, allWakes]).toEqual([2, 3]);
    // Another run's change wakes neither.
    await tell("r2", { run_record: true });
    expect([recordWakes, allWakes]).toEqual([2, 3]);
    stopRecord();
    stopAll();
  });

  it("unsubscribe once nobody watches", async () => {
    const { storage, tell, subscribed } = handDrivenChanges();
    const wakeups = createRunWakeups(storage);
    const stop = wakeups.watch("r1", () => {});
    await tell("r1");
    expect(subscribed()).toBe(true);
    stop();
    expect(subscribed()).toBe(false);
  });
});
