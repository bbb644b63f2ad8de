/**
 * `rungate/worker`: a worker loop for several processes sharing one store (PGlite for one machine,
 * Postgres for several): each claims a card under a lease and drives it to the approval gate.
 *
 * @module rungate/worker
 */
export {
  MAX_REPORTED_CLAIMS,
  MAX_REPORTED_ERRORS,
  MAX_REPORTED_WARNINGS,
  runWorker,
  WorkerOptions,
  type WorkerReport,
  type WorkerWarning,
} from "./run-worker.js";
