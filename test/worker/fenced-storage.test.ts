import { describe, expect, it } from "vitest";
import type { StoragePort } from "../../src/ports/storage-port.js";
import { createInMemoryStorage, fixtureId } from "../../src/testing/index.js";
import { fenceWrites } from "../../src/worker/fenced-storage.js";

/** A store written as a class: its methods live on the prototype and use a private field. */
class ClassStore {
  readonly #inner = createInMemoryStorage();
  get name() {
    return "class-store";
  }
  write(...args: Parameters<StoragePort["write"]>) {
    return this.#inner.write(...args);
  }
  getRun(...args: Parameters<StoragePort["getRun"]>) {
    return this.#inner.getRun(...args);
  }
}

describe("fenceWrites", () => {
  it("passes writes and reads through until the lease is lost, then refuses writes with lease_lost", async () => {
    const store = new ClassStore() as unknown as StoragePort;
    const lost = new AbortController();
    const fenced = fenceWrites(store, lost.signal, "a-1");
    expect(fenced.name).toBe("class-store");
    // An empty write reaches the store (and is answered by it).
    expect((await fenced.write({})).isOk()).toBe(true);
    const unknown = fixtureId(77);
    expect((await fenced.getRun(unknown))._unsafeUnwrapErr().kind).toBe("not_found");
    lost.abort();
    expect((await fenced.write({}))._unsafeUnwrapErr()).toMatchObject({
      kind: "conflict",
      code: "lease_lost",
      detail: { entity: "assignment", id: "a-1" },
    });
    // Reads still go through.
    expect((await fenced.getRun(unknown))._unsafeUnwrapErr().kind).toBe("not_found");
  });
});
