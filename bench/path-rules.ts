/**
 * What the path-rule index buys (issue 17, goal 1), as a plain script: `npx tsx bench/path-rules.ts`. Each
 * table row compares, in one run, the indexed judge (`compilePathRules(...).judge`: each list's globs grouped
 * by what a matching path must contain, naming the deciding rule) with the naive loop it replaced (every glob's
 * picomatch matcher tried in turn), on the same paths; verdicts are checked equal. Machines are noisy: read the
 * ratios.
 */
import { performance } from "node:perf_hooks";
import { compilePathRules } from "../src/core/policy/path-rules.js";
import { validateRunInputAgainstPolicy } from "../src/core/policy/validate-run-input.js";
import { policyFixture, runInputFixture } from "../src/testing/fixtures.js";
import { monorepoGlobs, monorepoPaths, naiveJudge, seeded } from "./path-rule-fixtures.js";

const random = seeded(17);
const globs = (n: number, tag: string) => monorepoGlobs(n, tag, random);
const paths = (n: number) => monorepoPaths(n, random);

function time<T>(body: () => T): [number, T] {
  const start = performance.now();
  const value = body();
  return [performance.now() - start, value];
}

const rows: string[] = [];
function compare(
  label: string,
  lists: { allowed: string[]; forbidden: string[]; protected: string[] },
  n: number,
) {
  const ps = paths(n);
  const [compileIndexed, rules] = time(() => compilePathRules(lists)._unsafeUnwrap());
  const naive = naiveJudge(lists);
  const [tNaive, slow] = time(() => ps.map(naive));
  const [tIndexed, fast] = time(() =>
    ps.map((p) => {
      const v = rules.judge(p);
      return v.verdict === "outside_allowed" ? v.verdict : `${v.verdict}:${v.rule}`;
    }),
  );
  const same = slow.every((v, i) => v === fast[i]);
  rows.push(
    `| ${label} | ${tIndexed.toFixed(0)} (+${compileIndexed.toFixed(0)} compile) | ${tNaive.toFixed(0)} | ${(tNaive / tIndexed).toFixed(1)}× | ${same ? "identical" : "DIFFERENT"} |`,
  );
}

compare(
  "100,000 paths × 500 globs (200 allowed, 250 forbidden, 50 protected)",
  {
    allowed: globs(200, "a").concat("**/*.md"),
    forbidden: globs(250, "f"),
    protected: globs(50, "p"),
  },
  100_000,
);
compare(
  "20,000 paths × 4,000 globs (2,000 forbidden, 2,000 protected)",
  {
    allowed: ["**"],
    forbidden: globs(2_000, "f"),
    protected: globs(2_000, "p"),
  },
  20_000,
);

const big = policyFixture({ forbidden_paths: globs(2_000, "f"), protected_paths: globs(2_000, "p") });
const input = runInputFixture({
  cards: [{ card_id: runInputFixture().card_id ?? "", title: "big", allowed_paths: globs(2_000, "a") }],
});
const [tValidate] = time(() => validateRunInputAgainstPolicy(input, big));

console.log("| judged | indexed ms | naive picomatch loop ms | ratio | verdicts |");
console.log("|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log(`\nvalidateRunInputAgainstPolicy, 2,000 globs per list: ${tValidate.toFixed(0)} ms`);
