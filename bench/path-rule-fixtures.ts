/**
 * The monorepo-shaped policies and paths the path-rule figures are measured on (issue 17, goal 1): used by
 * bench/path-rules.ts for time and by test/core/policy/path-rule-cost.test.ts for the count of expressions a
 * path costs. Deterministic: the same random source gives the same globs and paths on every run.
 */
import { compileGlobMatcher } from "../src/core/policy/path-rules.js";

/** A deterministic pseudo-random source in [0, 1), so every run judges the same paths. */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
const EXT = ["ts", "tsx", "js", "json", "md", "pem", "sql", "yaml"];

/**
 * `n` globs of a policy list, of typical shapes in turn: folders, extensions under folders, literal files,
 * deny-anywhere names; `tag` keeps lists apart.
 */
export function monorepoGlobs(n: number, tag: string, random: () => number): string[] {
  return Array.from({ length: n }, (_, i) => {
    switch (i % 4) {
      case 0:
        return `packages/${tag}${i}/**`;
      case 1:
        return `apps/${tag}${i}/src/**/*.${pick(random, EXT)}`;
      case 2:
        return `services/${tag}${i}/config.json`;
      default:
        return `**/${tag}${i}-secret*`;
    }
  });
}

/** `n` paths of a monorepo touching the packages {@link monorepoGlobs} names and others. */
export function monorepoPaths(n: number, random: () => number): string[] {
  return Array.from({ length: n }, () => {
    const i = Math.floor(random() * 600);
    const root = pick(random, ["packages", "apps", "services", "tools"]);
    const tag = pick(random, ["f", "a", "p", "x"]);
    const dir = pick(random, ["lib", "ui", "db"]);
    return `${root}/${tag}${i}/src/${dir}/file${Math.floor(random() * 50)}.${pick(random, EXT)}`;
  });
}

/** The policy lists a judge is built from. */
export interface PathLists {
  readonly allowed: readonly string[];
  readonly forbidden: readonly string[];
  readonly protected: readonly string[];
}

/**
 * The judge the index replaced: every glob's picomatch matcher tried in turn, forbidden first, then allowed,
 * then protected. Answers `outside_allowed` or `<verdict>:<deciding glob>`, as the indexed judge is compared.
 */
export function naiveJudge(lists: PathLists): (path: string) => string {
  const compile = (g: readonly string[], nocase: boolean) =>
    g.map((x) => compileGlobMatcher(x, { nocase })._unsafeUnwrap());
  const f = compile(lists.forbidden, true);
  const a = compile(lists.allowed, false);
  const p = compile(lists.protected, true);
  return (path: string): string => {
    const d = f.find((c) => c.test(path));
    if (d) return `forbidden:${d.glob}`;
    const ok = a.find((c) => c.test(path));
    if (!ok) return "outside_allowed";
    const g = p.find((c) => c.test(path));
    return g ? `protected:${g.glob}` : `allowed:${ok.glob}`;
  };
}
