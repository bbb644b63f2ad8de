/**
 * Whether the in-memory ports stay fast when one set of them lives long (a test suite sharing one fake):
 * card lifecycles on ONE `createInMemoryPorts()`, each on a new card, timed per block of 500. A store whose
 * reads scan every row would slow down block after block. Run with `npx tsx bench/long-lived-fakes.ts`;
 * figures go to docs/benchmarks.md as ratios of the last block to the first.
 */
import { createOrchestrator } from "../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const BLOCKS = 4;
const PER_BLOCK = 500;

const ports = createInMemoryPorts();
const orchestrator = createOrchestrator(ports);
let cards = 0;

async function lifecycle(): Promise<void> {
  const card_id = fixtureId(100_000 + cards++);
  const input = runInputFixture();
  const first = input.cards[0];
  if (first === undefined) throw new Error("the fixture has no card");
  const request = { ...input, card_id, cards: [{ ...first, card_id }], policy: policyFixture() };
  await runCardLifecycle(orchestrator, ports.pullRequests, request);
}

const rates: number[] = [];
for (let block = 0; block < BLOCKS; block++) {
  const started = performance.now();
  for (let i = 0; i < PER_BLOCK; i++) await lifecycle();
  rates.push((PER_BLOCK / (performance.now() - started)) * 1000);
}
console.log("| lifecycles already stored | lifecycles/s | vs first block |");
console.log("| ---: | ---: | ---: |");
rates.forEach((rate, block) => {
  const ratio = rate / (rates[0] ?? rate);
  console.log(`| ${block * PER_BLOCK} | ${rate.toFixed(0)} | ${ratio.toFixed(2)}× |`);
});
