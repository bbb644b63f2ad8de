import type { RungateError } from "../core/errors.js";
import type { StorageLeases } from "../ports/storage-port.js";

/** A claimed card's lease, renewed while the card is driven. */
export interface LeaseRenewal {
  /** Aborts once the lease is lost (for good): the card in hand must not be written any more. */
  readonly lost: AbortSignal;
  /** Stops renewing and waits for a renewal in flight, so that a release never races one. */
  stop(): Promise<void>;
}

/** What {@link renewLease} needs. */
export interface LeaseRenewalInput {
  readonly leases: StorageLeases;
  readonly assignment_id: string;
  /** The claim's fencing token (the lease is renewed under it, never under the worker's id). */
  readonly token: string;
  readonly lease_ms: number;
  /** Told of every renewal that failed while the card was still being driven. */
  readonly onError: (error: RungateError) => void;
}

/**
 * Renews a lease every `lease_ms / 3` (at least 50 ms) until stopped, one renewal at a time. `lost` aborts
 * when the lease is lost: `lease_lost` or `not_found`, or no renewal succeeded for a whole `lease_ms`, after
 * which another worker may have taken it over. A renewal that fails otherwise while the lease surely holds
 * (the store hiccuped) is only reported.
 */
export function renewLease(input: LeaseRenewalInput): LeaseRenewal {
  const { leases, assignment_id, token, lease_ms } = input;
  const lost = new AbortController();
  let renewed = performance.now();
  let stopped = false;
  let inFlight: Promise<void> | null = null;

  const renew = () => {
    if (stopped || inFlight !== null) return;
    inFlight = Promise.resolve(leases.heartbeat({ assignment_id, token, lease_ms }))
      .then((r) => {
        // After stop() the card is done with: what the renewal answered no longer matters.
        if (stopped) return;
        if (r.isOk()) {
          renewed = performance.now();
          return;
        }
        if (!lost.signal.aborted) input.onError(r.error);
        const taken = r.error.kind === "conflict" || r.error.kind === "not_found";
        if (taken || performance.now() - renewed >= lease_ms) lost.abort();
      })
      .finally(() => {
        inFlight = null;
      });
  };
  const timer = setInterval(renew, Math.max(50, Math.floor(lease_ms / 3)));

  return {
    lost: lost.signal,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
