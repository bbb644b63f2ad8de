/** Test helpers shared by the snapshot specifications: key shuffling, -0 normalising, change sites. */

type Path = readonly (string | number)[];

/** A small seeded PRNG (mulberry32), so a shuffle is reproducible from the seed fast-check drew. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A deep copy of `value` whose objects were built with their keys inserted in a random order. Uses
 * `Object.fromEntries`, which defines properties, so a `"__proto__"` key stays a plain key.
 */
export function reinsertKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((item) => reinsertKeys(item, random));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value).map(([key, item]) => [key, reinsertKeys(item, random)] as const);
  for (let i = entries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [
      entries[j] as (typeof entries)[number],
      entries[i] as (typeof entries)[number],
    ];
  }
  return Object.fromEntries(entries);
}

/** `value` with every `-0` replaced by `0` (what canonical JSON writes). */
export function withoutNegativeZero(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutNegativeZero(item)]));
}

/** Every object and array inside `value` (itself included), with its path. */
export function containers(value: unknown, path: Path = []): { path: Path; node: object }[] {
  if (typeof value !== "object" || value === null) return [];
  const inner = Object.entries(value).flatMap(([key, item]) =>
    containers(item, [...path, Array.isArray(value) ? Number(key) : key]),
  );
  return [{ path, node: value }, ...inner];
}

/** One way to change a JSON value: replace a primitive leaf, add a member to a container, or remove one. */
export interface ChangeSite {
  readonly kind: "replace" | "add" | "remove";
  readonly path: Path;
}

/** Every single change that can be made to `value` (never empty for an object or array). */
export function changeSites(value: unknown, path: Path = []): ChangeSite[] {
  if (typeof value !== "object" || value === null) return [{ kind: "replace", path }];
  const entries = Object.entries(value);
  const here: ChangeSite[] = [{ kind: "add", path }];
  if (entries.length > 0) here.push({ kind: "remove", path });
  return here.concat(
    entries.flatMap(([key, item]) => changeSites(item, [...path, Array.isArray(value) ? Number(key) : key])),
  );
}

/** Applies `site` to `root` in place (`root` must be mutable). Returns the root (a replaced root leaf too). */
export function applyChange(root: unknown, site: ChangeSite): unknown {
  if (site.kind === "replace" && site.path.length === 0) return differentLeaf(root);
  const parentPath = site.kind === "replace" ? site.path.slice(0, -1) : site.path;
  const parent = parentPath.reduce<unknown>(
    (node, seg) => (node as Record<string | number, unknown>)[seg],
    root,
  ) as Record<string | number, unknown> | unknown[];
  if (site.kind === "replace") {
    const last = site.path[site.path.length - 1] as string | number;
    (parent as Record<string | number, unknown>)[last] = differentLeaf(
      (parent as Record<string | number, unknown>)[last],
    );
  } else if (Array.isArray(parent)) {
    if (site.kind === "add") parent.push("added");
    else parent.pop();
  } else if (site.kind === "add") {
    Object.defineProperty(parent, freshKey(parent), { value: "added", enumerable: true, writable: true });
  } else {
    delete parent[Object.keys(parent)[0] as string];
  }
  return root;
}

/** A key not yet on `node`. */
export function freshKey(node: object): string {
  let key = "__fresh__";
  while (Object.hasOwn(node, key)) key += "_";
  return key;
}

function differentLeaf(leaf: unknown): unknown {
  switch (typeof leaf) {
    case "string":
      return `${leaf}!`;
    case "number":
      return leaf === 0 ? 1 : -leaf;
    case "boolean":
      return !leaf;
    default:
      return false;
  }
}
