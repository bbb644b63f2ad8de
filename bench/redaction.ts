/**
 * What the redaction boundary costs, and that hostile text cannot make it slow: `npx tsx bench/redaction.ts`.
 * One run: 64 KiB of ordinary log text against 64 KiB texts shaped to make a backtracking pattern quadratic
 * (a long dotted word, a keyword repeated, a URL with a huge user, a long dash run, repeated PEM headers);
 * each as a ratio to the ordinary text. Then the cost per stored record of a typical write.
 */
import { performance } from "node:perf_hooks";
import { createSecretRedactor } from "../src/index.js";

const SIZE = 64 * 1024;
const redactor = createSecretRedactor({
  secrets: ["hunter2-database-pw", "ghp_not_a_real_token_0123456789abcdef"],
});
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

function median(times: number[]): number {
  return [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? 0;
}
function time(text: string, rounds = 9): number {
  const times: number[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const started = performance.now();
    redactor.redactText(text);
    times.push(performance.now() - started);
  }
  return median(times);
}

const ordinary = fill("PASS test/cart.test.ts > total adds the prices (3 ms)\n");
const base = time(ordinary);
console.log(`\n64 KiB texts, median of 9; ordinary log: ${base.toFixed(2)} ms`);
console.log("| text | ms | ratio to ordinary |\n|---|---|---|");
const hostile: Record<string, string> = {
  "a long dotted word": fill("a."),
  "a keyword repeated": fill("token"),
  "a URL with a huge user": `https://${fill("u")}`,
  "a dash run before a keyword": `${fill("-")}password`,
  "repeated PEM headers": fill("-----BEGIN PRIVATE KEY-----"),
};
for (const [what, text] of Object.entries(hostile)) {
  const ms = time(text);
  console.log(`| ${what} | ${ms.toFixed(2)} | ${(ms / base).toFixed(2)}× |`);
}
const record = {
  id: "3f1e9c7a-0000-4000-8000-000000000001",
  summary: "the agent exited 0; rungate reads what it committed from git\n--- last output ---\nok",
  payload: { files: Array.from({ length: 10 }, (_, i) => ({ path: `src/f${i}.ts`, status: "added" })) },
};
const started = performance.now();
for (let i = 0; i < 10_000; i += 1) redactor.redactValue(record);
console.log(
  `\nA typical record (an execution with a 10-file event payload): ${((performance.now() - started) / 10).toFixed(1)} µs each`,
);
