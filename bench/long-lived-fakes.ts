/**
 * Whether the in-memory ports stay fast and keep bounded memory when one set of them lives long (a test suite
 * sharing one fake): card lifecycles on ONE set of in-memory ports, each on a new card, timed per block of 500,
 * and the heap retained after each block (after a forced GC). Each configuration runs in the same process,
 * one after the other:
 *
 * - `default`: `createInMemoryPorts()` as a user gets it (the store keeps 1,000 ended runs, the PR host 1,000
 *   decided PRs, every log 10,000 entries; the git fake keeps every card's worktree and branches);
 * - `wired`: the same, with the store's `onForget` wired to the git fake's `forget`, so the git fake forgets a
 *   run's worktrees and branches when the store forgets the run;
 * - `small`: `wired` with a small bound (100 ended runs and decided PRs, logs of 500), so the plateau is
 *   reached in the first blocks;
 * - `unbounded`: everything `Infinity`, the fakes as they were before the retention bound (not run unless
 *   asked: its heap grows by ~75 KiB a lifecycle).
 *
 * Run with `node --expose-gc --import tsx bench/long-lived-fakes.ts`; knobs: `BENCH_BLOCKS` (blocks of 500
 * lifecycles per configuration, default 4) and `BENCH_CONFIGS` (comma-separated, default `small,wired,default`).
 * Figures go to docs/benchmarks.md.
 */
import { setImmediate as tick } from "node:timers/promises";
import { createOrchestrator } from "../src/index.js";
import {
  createCollectingEventSink,
  createInMemoryPorts,
  createInMemoryPullRequestHost,
  createInMemoryStorage,
  fixtureId,
  type InMemoryPorts,
  policyFixture,
  runInputFixture,
} from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const BLOCKS = Number(process.env.BENCH_BLOCKS ?? "4");
const CONFIGS = (process.env.BENCH_CONFIGS ?? "small,wired,default").split(",");
const PER_BLOCK = 500;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

/** The heap in use once everything unreachable is collected (after pending promise reactions have run). */
async function retained(): Promise<number> {
  await tick();
  gc?.();
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/**
 * The in-memory ports with the store wired to the git fake (`onForget` → `forget`), and, when given, every
 * retention bound set to `bound` and every log limit to `log_limit` (the options `createInMemoryPorts` does not
 * take are set on the fakes it would build).
 */
function wiredPorts(bound?: number, log_limit?: number): InMemoryPorts {
  const ports = createInMemoryPorts(log_limit === undefined ? {} : { log_limit });
  const limits = log_limit === undefined ? {} : { log_limit };
  return {
    ...ports,
    storage: createInMemoryStorage({
      clock: ports.clock,
      ...limits,
      ...(bound === undefined ? {} : { retain_ended_runs: bound }),
      onForget: (run) => ports.git.forget(run),
    }),
    ...(bound === undefined
      ? {}
      : {
          pullRequests: createInMemoryPullRequestHost({ ...limits, retain_decided_pull_requests: bound }),
          eventSink: createCollectingEventSink(limits),
        }),
  };
}

const MAKE: Readonly<Record<string, () => InMemoryPorts>> = {
  default: () => createInMemoryPorts(),
  wired: () => wiredPorts(),
  small: () => wiredPorts(100, 500),
  unbounded: () => wiredPorts(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY),
};

interface Block {
  readonly lifecycles: number;
  readonly rate: number;
  /** Bytes retained since before the ports were made. */
  readonly heap: number;
  /** Runs the store holds. */
  readonly runs: number;
}

async function measure(make: () => InMemoryPorts): Promise<Block[]> {
  const base = await retained();
  const ports = make();
  const orchestrator = createOrchestrator(ports);
  let cards = 0;
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
    const heap = (await retained()) - base;
    blocks.push({ lifecycles: cards, rate, heap, runs: ports.storage.snapshot().runs.length });
  }
  return blocks;
}

/** Least-squares slope of retained bytes over lifecycles, in KiB per lifecycle, over `blocks`. */
function slope(blocks: readonly Block[]): number {
  const n = blocks.length;
  if (n < 2) return Number.NaN;
  const mx = blocks.reduce((s, b) => s + b.lifecycles, 0) / n;
  const my = blocks.reduce((s, b) => s + b.heap, 0) / n;
  const num = blocks.reduce((s, b) => s + (b.lifecycles - mx) * (b.heap - my), 0);
  const den = blocks.reduce((s, b) => s + (b.lifecycles - mx) ** 2, 0);
  return num / den / 1024;
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
for (const name of CONFIGS) {
  const make = MAKE[name];
  if (make === undefined)
    throw new Error(`unknown configuration ${name}: one of ${Object.keys(MAKE).join(", ")}`);
  const blocks = await measure(make);
  console.log(`\n${name}: ${BLOCKS} blocks of ${PER_BLOCK} lifecycles on one set of ports\n`);
  console.log(
    "| lifecycles | lifecycles/s | vs first block | runs stored | retained MiB | retained KiB per lifecycle | KiB retained per lifecycle in this block |",
  );
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  blocks.forEach((b, i) => {
    const before = blocks[i - 1];
    const delta = (b.heap - (before?.heap ?? 0)) / (b.lifecycles - (before?.lifecycles ?? 0));
    const ratio = b.rate / (blocks[0]?.rate ?? b.rate);
    console.log(
      `| ${b.lifecycles} | ${b.rate.toFixed(0)} | ${ratio.toFixed(2)}× | ${b.runs} | ${mib(b.heap)} | ${kib(b.heap / b.lifecycles)} | ${kib(delta)} |`,
    );
  });
  const half = blocks.slice(Math.floor(blocks.length / 2));
  // The logs drop their oldest entries in batches (a log holds up to twice its limit), so the retained heap
  // saws up and down: its range over the second half says more than one block's difference.
  const heaps = half.map((b) => b.heap);
  console.log(
    `\n${name}: retained-heap slope over the last ${half.length} blocks: ${slope(half).toFixed(2)} KiB per lifecycle (over all: ${slope(blocks).toFixed(2)}); retained ${mib(Math.min(...heaps))}–${mib(Math.max(...heaps))} MiB over those blocks`,
  );
}
