import { errAsync } from "neverthrow";
import { rungateError } from "../core/errors.js";
import type { StoragePort } from "../ports/storage-port.js";

/**
 * The store as one card's drive sees it: the same store, except that every write carries the claim's fencing
 * token (`StorageWrite.fence`), so the store itself refuses it with `conflict` `lease_lost` once another claim
 * replaced this one, however long this process was paused and whatever its clock says; and once `lost` aborts
 * (a renewal told this worker it lost the card) writes are refused here already, without a round trip. The
 * orchestrator's steps re-read the card before they write, so a version check alone would not stop a worker
 * that lost its card; the fence does, at its next write, while whatever it already started (an agent) runs to
 * its end and leaves its outcome to the new holder.
 */
export function fenceWrites(
  storage: StoragePort,
  lost: AbortSignal,
  fence: { readonly assignment_id: string; readonly token: string },
): StoragePort {
  const write: StoragePort["write"] = (request, options) =>
    lost.aborted
      ? errAsync(rungateError("conflict", "lease_lost", { entity: "assignment", id: fence.assignment_id }))
      : storage.write({ ...request, fence }, options);
  // A proxy rather than a spread: a store may be a class instance whose methods live on its prototype.
  return new Proxy(storage, {
    get(target, property) {
      if (property === "write") return write;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
