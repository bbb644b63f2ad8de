import { describe, expect, it } from "vitest";
import type { StoragePort } from "../../src/ports/storage-port.js";
import { createInMemoryStorage, fixtureId } from "../../src/testing/index.js";
import { fenceWrites } from "../../src/worker/fenced-storage.js";

/** A store written as a class: its methods live on the prototype and use a private field. */
class ClassStore {
  readonly #inner = createInMemoryStorage();
  readonly writes: unknown[] = [];
  get name() {
    return "class-store";
  }
  write(...args: Parameters<StoragePort["write"]>) {
    this.writes.push(args[0]);
    return this.#inner.write(...args);
  }
  getRun(...args: Parameters<StoragePort["getRun"]>) {
    return this.#inner.getRun(...args);
  }
}

describe("fenceWrites", () => {
  it("hands every write to the store with the claim's fence, until the lease is known lost; then refuses it at once", async () => {
    const inner = new ClassStore();
    const store = inner as unknown as StoragePort;
    const lost = new AbortController();
    const fence = { assignment_id: "a-1", token: "claim-1" };
    const fenced = fenceWrites(store, lost.signal, fence);
    expect(fenced.name).toBe("class-store");
    // The write reaches the store with the fence, and the store judges it: no such claim there.
    expect((await fenced.write({ idempotency_key: "k" }))._unsafeUnwrapErr()).toMatchObject({
      kind: "conflict",
      code: "lease_lost",
    });
    expect(inner.writes).toEqual([{ idempotency_key: "k", fence }]);
    const unknown = fixtureId(77);
    expect((await fenced.getRun(unknown))._unsafeUnwrapErr().kind).toBe("not_found");
    lost.abort();
    expect((await fenced.write({}))._unsafeUnwrapErr()).toMatchObject({
      kind: "conflict",
      code: "lease_lost",
      detail: { entity: "assignment", id: "a-1" },
    });
    expect(inner.writes).toHaveLength(1);
    // Reads still go through.
    expect((await fenced.getRun(unknown))._unsafeUnwrapErr().kind).toBe("not_found");
  });
});
