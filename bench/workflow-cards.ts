/**
 * What a card costs in a workflow run as the run grows (issue 17: per-card cost of a 100-card run ≤ 1.3× a
 * 1-card run's, of a 1,000-card run ≤ 1.5×): `triggerBuild` of one workflow run of N cards on fresh in-memory
 * ports, each card taken to its approval request, timed per card and compared with N = 1 in the same run. Run
 * with `npx tsx bench/workflow-cards.ts` (`BENCH_MAX_CARDS=1000` adds the 1,000-card run); the table goes to
 * docs/benchmarks.md.
 */
import { createOrchestrator } from "../src/index.js";
import { createInMemoryPorts, FIXTURE_REPO_URL } from "../src/testing/index.js";
import { workflowRunRequest } from "../test/worker/fixtures/workflow-runs.js";

const MAX_CARDS = Number(process.env.BENCH_MAX_CARDS ?? "100");
const SIZES = [1, 10, 100, 1_000].filter((n) => n <= MAX_CARDS);
/** Builds one workflow run of `cards` cards to its approvals; answers the ms it took. */
async function buildWorkflow(cards: number, seed: number): Promise<number> {
  const ports = createInMemoryPorts();
  const host = createOrchestrator(ports);
  const started = performance.now();
  const built = await host.triggerBuild(workflowRunRequest(FIXTURE_REPO_URL, seed, cards));
  const ms = performance.now() - started;
  if (built.isErr()) throw new Error(`the ${cards}-card run failed: ${built.error.message}`);
  if (built.value.approvals.length !== cards) {
    throw new Error(`the ${cards}-card run asked ${built.value.approvals.length} approvals`);
  }
  return ms;
}

// Warm up (JIT, schema caches) before anything is timed.
for (let i = 0; i < 5; i++) await buildWorkflow(2, i);

const perCard = new Map<number, number>();
for (const n of SIZES) {
  // About 200 cards of work per size, at least one run: small runs are repeated, large ones timed once.
  const repeats = Math.max(1, Math.round(200 / n));
  let total = 0;
  for (let r = 0; r < repeats; r++) total += await buildWorkflow(n, r);
  perCard.set(n, total / (repeats * n));
}
const base = perCard.get(1) ?? 1;
console.log("| cards in the run | ms per card | vs a 1-card run |");
console.log("| ---: | ---: | ---: |");
for (const [n, ms] of perCard) console.log(`| ${n} | ${ms.toFixed(2)} | ${(ms / base).toFixed(2)}× |`);
