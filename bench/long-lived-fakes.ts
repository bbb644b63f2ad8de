/**
 * Whether the in-memory ports stay fast and lean when one set of them lives long (a test suite sharing one
 * fake): card lifecycles on ONE `createInMemoryPorts()`, each on a new card, timed per block of 500, and the
 * heap retained after each block (after a forced GC). Run twice in one process: with the default call-log
 * limit and with unbounded logs (`log_limit: Infinity`, as before the limit), so the memory the logs cost is
 * a difference measured in the same run. Run with `node --expose-gc --import tsx bench/long-lived-fakes.ts`;
 * figures go to docs/benchmarks.md.
 */
import { createOrchestrator } from "../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? "4");
const PER_BLOCK = 500;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

function retained(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

interface Block {
  readonly rate: number;
  readonly heap: number;
}

async function measure(log_limit: number | undefined): Promise<Block[]> {
  const ports = createInMemoryPorts(log_limit === undefined ? {} : { log_limit });
  const orchestrator = createOrchestrator(ports);
  let cards = 0;
  const base = retained();
  const blocks: Block[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    const started = performance.now();
    for (let i = 0; i < PER_BLOCK; i++) {
      const card_id = fixtureId(100_000 + cards++);
      const input = runInputFixture();
      const first = input.cards[0];
      if (first === undefined) throw new Error("the fixture has no card");
      const request = { ...input, card_id, cards: [{ ...first, card_id }], policy: policyFixture() };
      await runCardLifecycle(orchestrator, ports.pullRequests, request);
    }
    const rate = (PER_BLOCK / (performance.now() - started)) * 1000;
    blocks.push({ rate, heap: retained() - base });
  }
  return blocks;
}

const bounded = await measure(undefined);
const unbounded = await measure(Number.POSITIVE_INFINITY);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);
console.log(
  "| lifecycles stored | default log limit: lifecycles/s | vs first block | retained KiB per lifecycle | unbounded logs: lifecycles/s | retained KiB per lifecycle |",
);
console.log("| ---: | ---: | ---: | ---: | ---: | ---: |");
bounded.forEach((b, i) => {
  const u = unbounded[i];
  const n = (i + 1) * PER_BLOCK;
  const ratio = b.rate / (bounded[0]?.rate ?? b.rate);
  console.log(
    `| ${n} | ${b.rate.toFixed(0)} | ${ratio.toFixed(2)}× | ${kib(b.heap / n)} | ${u?.rate.toFixed(0)} | ${kib((u?.heap ?? 0) / n)} |`,
  );
});
