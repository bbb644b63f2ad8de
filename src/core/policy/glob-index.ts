import { BaseGroups, Group, KeyedGroups, NONE } from "./glob-groups.js";
import { foldCase, type GlobKey, patternKeys } from "./glob-keys.js";

/**
 * What the index needs of a compiled glob: the regular expression sources of its patterns and the picomatch
 * patterns those sources came from (same order). With `patterns`, the index answers as picomatch's matcher does
 * (a path equal to a pattern's text matches whatever the expression says) and groups the glob by what a
 * matching path must contain; without, the glob is tried on every path and only its expressions decide.
 */
export interface IndexedGlob {
  /** The regular expression source of each pattern (picomatch's `makeRe(...).source`). */
  readonly sources: readonly string[];
  /** The picomatch patterns, normalised as rungate compiles them, in the order of `sources`. */
  readonly patterns?: readonly string[];
}

/**
 * A function answering the FIRST glob of `globs` (in list order) that matches a path, or `undefined`: the
 * same answer as `globs.find((g) => g.test(path))`. `nocase` must be the case rule the sources were compiled
 * for. See {@link firstMatchPosition} for how.
 *
 * Why: a policy is host input, and judging 100,000 paths against 500 globs one matcher at a time took
 * seconds (issue 17); the index takes a fraction of that (bench/path-rules.ts).
 */
export function firstMatchIndex<G extends IndexedGlob>(
  globs: readonly G[],
  nocase: boolean,
): (path: string) => G | undefined {
  const position = firstMatchPosition(globs, nocase);
  return (path) => {
    const at = position(path);
    return at < 0 ? undefined : globs[at];
  };
}

/**
 * Like {@link firstMatchIndex}, answering the matching glob's position in `globs`, or -1.
 *
 * The globs are grouped once by a key every matching path must have ({@link patternKeys}: its static base
 * directory, a literal segment, the literal start or end of its last segment); globs without such a key form
 * one group tried on every path. A path tries only the groups its own directories, segments and last segment
 * select, each group answers its first matching glob with one combined expression, and the smallest position
 * among the groups wins, because a path may match globs of several groups. With `nocase`, keys and paths are
 * compared in {@link foldCase}d form, as the expressions compare them.
 */
export function firstMatchPosition(globs: readonly IndexedGlob[], nocase: boolean): (path: string) => number {
  if (globs.length === 0) return () => -1;
  const fold = nocase ? foldCase : (text: string) => text;
  const group = () => new Group(globs, nocase);
  const always = group();
  const buckets = {
    base: new BaseGroups(group),
    segment: new KeyedGroups(group),
    prefix: new KeyedGroups(group),
    suffix: new KeyedGroups(group),
  };
  // picomatch's matcher takes a path equal to the pattern's text whatever its expression says.
  const equal = new Map<string, number>();
  const everything = group();
  globs.forEach((glob, position) => {
    for (const pattern of glob.patterns ?? []) if (!equal.has(pattern)) equal.set(pattern, position);
    everything.add(position);
    const keys = globKeys(glob);
    if (keys === undefined) always.add(position);
    else for (const { kind, text } of keys) buckets[kind].add(fold(text), position);
  });
  return (path) => {
    // picomatch never matches the empty path.
    if (path === "") return -1;
    let best = equal.get(path) ?? NONE;
    const key = fold(path);
    if (key.startsWith("/") || key.endsWith("/") || key.includes("//")) {
      // Keys are only promised for paths without empty segments (the judge hands over no other paths).
      best = everything.better(path, best);
    } else {
      const name = key.slice(key.lastIndexOf("/") + 1);
      best = always.better(path, best);
      best = buckets.base.along(key, path, best);
      best = buckets.segment.whole(key, path, best);
      best = buckets.prefix.affixed(name, false, path, best);
      best = buckets.suffix.affixed(name, true, path, best);
    }
    return best === NONE ? -1 : best;
  };
}

/** The keys of a glob: a path matching ANY of its patterns has one of them; `undefined` if a pattern has none. */
function globKeys(glob: IndexedGlob): GlobKey[] | undefined {
  if (glob.patterns === undefined || glob.patterns.length !== glob.sources.length) return undefined;
  const keys: GlobKey[] = [];
  for (const pattern of glob.patterns) {
    const own = patternKeys(pattern);
    if (own === undefined) return undefined;
    keys.push(...own);
  }
  return keys;
}
