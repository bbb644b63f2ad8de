// worker.ts: start as many as you like, on as many machines as you like.
import { secretsFromEnvironment } from "rungate";
import { runWorker } from "rungate/worker";
import { LEASE_MS, MACHINE_ID, openPorts } from "./ports.js";

const { ports, storage, pool } = await openPorts();
const stop = new AbortController();
process.on("SIGTERM", () => stop.abort()); // a shutdown, not a cancel: the card in hand can be resumed

const report = await runWorker(
  ports,
  {
    lease_ms: LEASE_MS,
    machine_id: MACHINE_ID,
    secrets: secretsFromEnvironment(process.env),
    on_error: (e) => console.error(`${e.kind} ${e.code}: ${e.message}`),
    on_warning: (w) => console.warn(`${w.code}: worker ${w.worker_now}, store ${w.store_now}`),
  },
  stop.signal,
);
if (report.isErr())
  console.error(report.error.message); // no lease capability, or bad options
else console.log(`claimed ${report.value.claimed_total} cards, ${report.value.errors.length} errors`);
await storage.close();
await pool.end();
