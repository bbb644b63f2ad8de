import { errAsync } from "neverthrow";
import { rungateError } from "../core/errors.js";
import type { StoragePort } from "../ports/storage-port.js";

/**
 * The store as one card's drive sees it: the same store, except that once `lost` aborts (the worker lost
 * the card's lease) every write is refused with `conflict` `lease_lost` before it reaches the store. The
 * orchestrator's steps re-read the card before they write, so a version check alone would not stop a worker
 * that lost its card; this does, at its next write, while whatever it already started (an agent) runs to its
 * end and leaves its outcome to the new holder.
 */
export function fenceWrites(storage: StoragePort, lost: AbortSignal, assignment_id: string): StoragePort {
  const write: StoragePort["write"] = (request, options) =>
    lost.aborted
      ? errAsync(rungateError("conflict", "lease_lost", { entity: "assignment", id: assignment_id }))
      : storage.write(request, options);
  // A proxy rather than a spread: a store may be a class instance whose methods live on its prototype.
  return new Proxy(storage, {
    get(target, property) {
      if (property === "write") return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
