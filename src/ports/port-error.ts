import type { RungateError } from "../core/errors.js";

/**
 * What a port call can fail with: the outside world failed (`port_failure`), a record is missing
 * (`not_found`), a write lost a race or repeated a one-time decision (`conflict`), the caller aborted
 * (`cancelled`), time ran out (`timeout`), or stored data failed verification (`validation`, e.g. a snapshot
 * whose hash no longer matches).
 */
export type PortError = Extract<
  RungateError,
  { kind: "port_failure" | "not_found" | "conflict" | "cancelled" | "timeout" | "validation" }
>;

/** Options every long port call accepts. */
export interface PortCallOptions {
  /** Aborts the call; the port answers `cancelled` and leaves nothing half-done that it cannot undo. */
  readonly signal?: AbortSignal;
}
