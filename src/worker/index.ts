/**
 * `rungate/worker`: a worker loop for several processes sharing one store (PGlite for one machine,
 * Postgres for several): each claims a card under a lease and drives it to the approval gate.
 *
 * @packageDocumentation
 */
export { runWorker, WorkerOptions, type WorkerReport } from "./run-worker.js";
