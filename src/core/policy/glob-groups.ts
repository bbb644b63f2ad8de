/** "No match yet": larger than every list position. */
export const NONE = Number.POSITIVE_INFINITY;

/** Alternatives per combined expression: large enough to judge a path in a few calls, small enough to build. */
const CHUNK = 256;

/** What a group needs of a glob: the regular expression sources of its patterns. */
interface Sourced {
  readonly sources: readonly string[];
}

/**
 * Some globs of a list, by list position (added in ascending order, so in list order), answering the first of
 * them that matches a path with one combined expression per {@link CHUNK} globs. The expressions are built on
 * first use: most groups of a large policy are never selected by the paths at hand.
 */
export class Group {
  private readonly positions: number[] = [];
  private matcher: ((path: string) => number) | undefined;

  constructor(
    private readonly globs: readonly Sourced[],
    private readonly nocase: boolean,
  ) {}

  /** Adds the glob at `position` (not below any position added before); adding it twice keeps it once. */
  add(position: number): void {
    if (this.positions[this.positions.length - 1] !== position) this.positions.push(position);
  }

  /** The position of the first glob of the group matching `path`, or -1. */
  first(path: string): number {
    this.matcher ??= combined(this.globs, this.positions, this.nocase);
    return this.matcher(path);
  }

  /**
   * `best`, or the group's first match when that comes earlier. A group whose first glob comes at or after
   * `best` is not tried: none of its globs could win.
   */
  better(path: string, best: number): number {
    if ((this.positions[0] ?? NONE) >= best) return best;
    const at = this.first(path);
    return at >= 0 && at < best ? at : best;
  }
}

/**
 * The first-match function of the globs at `positions`: each glob's patterns become one named alternative
 * (`g<i>`) of an expression anchored at the start; alternatives are tried left to right, so the group that
 * matched is the first matching glob. Inner groups of picomatch's sources do not matter: only named ones are read.
 */
function combined(globs: readonly Sourced[], positions: readonly number[], nocase: boolean) {
  const flags = nocase ? "i" : "";
  const either = (glob: Sourced | undefined) => (glob?.sources ?? []).map((s) => `(?:${s})`).join("|");
  const only = positions[0];
  if (positions.length === 1 && only !== undefined) {
    const re = new RegExp(either(globs[only]) || "(?!)", flags);
    return (path: string) => (re.test(path) ? only : -1);
  }
  const chunks: { readonly re: RegExp; readonly at: readonly number[] }[] = [];
  for (let offset = 0; offset < positions.length; offset += CHUNK) {
    const at = positions.slice(offset, offset + CHUNK);
    const alternatives = at.map((p, i) => `(?<g${i}>${either(globs[p])})`);
    chunks.push({ re: new RegExp(`^(?:${alternatives.join("|")})`, flags), at });
  }
  return (path: string) => {
    for (const { re, at } of chunks) {
      const groups = re.exec(path)?.groups;
      if (groups === undefined) continue;
      for (const name in groups) {
        if (groups[name] !== undefined) return at[Number(name.slice(1))] ?? -1;
      }
    }
    return -1;
  };
}

/** Groups by a key text, looked up by whole segments or by the start or end of a path's last segment. */
export class KeyedGroups {
  private readonly groups = new Map<string, Group>();
  /** The distinct key lengths: the only starts and ends of a last segment worth looking up. */
  private readonly lengths: number[] = [];

  constructor(private readonly newGroup: () => Group) {}

  /** Adds the glob at `position` to the group of `text`. */
  add(text: string, position: number): void {
    let group = this.groups.get(text);
    if (group === undefined) {
      group = this.newGroup();
      this.groups.set(text, group);
      if (!this.lengths.includes(text.length)) this.lengths.push(text.length);
    }
    group.add(position);
  }

  /** `best`, or an earlier match among the groups keyed by one of the segments of `key` (the path, folded). */
  whole(key: string, path: string, best: number): number {
    if (this.groups.size === 0) return best;
    let found = best;
    for (const s of key.split("/")) found = this.groups.get(s)?.better(path, found) ?? found;
    return found;
  }

  /** `best`, or an earlier match among the groups whose key starts (`end` false) or ends `name`. */
  affixed(name: string, end: boolean, path: string, best: number): number {
    let found = best;
    for (const n of this.lengths) {
      if (n > name.length) continue;
      const part = end ? name.slice(name.length - n) : name.slice(0, n);
      found = this.groups.get(part)?.better(path, found) ?? found;
    }
    return found;
  }
}

interface BaseNode {
  group?: Group;
  readonly children: Map<string, BaseNode>;
}

/** Groups by base directory, as a tree of segments: a path walks only as deep as some base shares its directories. */
export class BaseGroups {
  private readonly root: BaseNode = { children: new Map() };

  constructor(private readonly newGroup: () => Group) {}

  /** Adds the glob at `position` to the group of the base `text` (segments joined by `/`). */
  add(text: string, position: number): void {
    let node = this.root;
    for (const segment of text.split("/")) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.group ??= this.newGroup();
    node.group.add(position);
  }

  /** `best`, or an earlier match among the groups whose base is `key` (the path, folded) or a directory of it. */
  along(key: string, path: string, best: number): number {
    let found = best;
    let node: BaseNode | undefined = this.root;
    // Segment by segment, without splitting the whole path: most paths leave the tree after a step or two.
    for (let start = 0; node !== undefined && start <= key.length; ) {
      const slash = key.indexOf("/", start);
      const end = slash < 0 ? key.length : slash;
      node = node.children.get(key.slice(start, end));
      if (node?.group !== undefined) found = node.group.better(path, found);
      start = end + 1;
    }
    return found;
  }
}
