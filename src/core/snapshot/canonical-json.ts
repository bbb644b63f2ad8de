import { err, ok, type Result } from "neverthrow";
import { type FieldIssue, rungateError, type ValidationError } from "../errors.js";

type Path = readonly (string | number)[];

/**
 * How many objects/arrays may nest. Far beyond any policy or run input, and well inside the call stack, so
 * the answer for a deep value is a fixed rule, not whatever stack the host happens to have.
 */
const MAX_NESTING = 256;

/** Marks a property that was refused (and reported) before its value was read. */
const NOTHING: unique symbol = Symbol("nothing");

/** What one walk over a value carries: the issues found so far and the containers on the current path. */
interface Walk {
  readonly issues: FieldIssue[];
  /** Objects and arrays being written, with their paths: meeting one again below itself is a cycle. */
  readonly ancestors: Map<object, Path>;
}

/**
 * Serialises `value` as canonical JSON: object keys sorted by UTF-16 code units (plain `<`, the order of
 * JCS / RFC 8785), no whitespace, arrays in order, strings and numbers as `JSON.stringify` writes them
 * (`-0` becomes `0`; lone surrogates come out as `\udXXX` escapes, so they survive). Two values that
 * `JSON.parse` would rebuild equal get the same text, whatever their key insertion order.
 *
 * Only plain JSON data is accepted, so that `JSON.parse(canonicalJson(v))` rebuilds `v` exactly (up to
 * `-0`). It fails with a `validation` error, code `not_canonical_json`, listing every offending place (not
 * just the first) by path: `undefined` anywhere (an object property whose value is `undefined` too, since
 * `JSON.stringify` would drop it silently — omit optional keys instead), functions, symbols, bigints,
 * non-finite numbers, cycles, objects whose prototype is neither `Object.prototype` nor `null` (Date, Map,
 * Set, class instances, typed arrays, boxed primitives), arrays that are not plain `Array`s, sparse
 * arrays, arrays with extra non-index properties, symbol keys, non-enumerable and accessor (getter/setter)
 * properties (getters are never called), more than 256 nested objects/arrays, and values that throw
 * when read (revoked proxies, hostile proxy traps). Never throws.
 */
export function canonicalJson(value: unknown): Result<string, ValidationError> {
  const walk: Walk = { issues: [], ancestors: new Map() };
  let text: string;
  try {
    text = write(value, [], walk);
  } catch (thrown) {
    // Last line of defence: `write` catches per value, but its own catch block can run out of stack too.
    walk.issues.push(issue([], "unreadable", `could not be read (${describeThrown(thrown)})`));
    text = "";
  }
  return walk.issues.length > 0
    ? err(rungateError("validation", "not_canonical_json", { issues: walk.issues }))
    : ok(text);
}

function write(value: unknown, path: Path, walk: Walk): string {
  try {
    return writeValue(value, path, walk);
  } catch (thrown) {
    walk.issues.push(issue(path, "unreadable", `could not be read (${describeThrown(thrown)})`));
    return "null";
  }
}

function writeValue(value: unknown, path: Path, walk: Walk): string {
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (Number.isFinite(value)) return JSON.stringify(value);
      return refuse(walk, path, "non_finite_number", `${String(value)} is not a JSON number`);
    case "undefined":
      return refuse(walk, path, "undefined_value", "undefined is not JSON (omit the key instead)");
    case "function":
      return refuse(walk, path, "function_value", "a function is not JSON");
    case "symbol":
      return refuse(walk, path, "symbol_value", "a symbol is not JSON");
    case "bigint":
      return refuse(walk, path, "bigint_value", "a bigint is not JSON (use a string or a safe number)");
    case "object":
      return value === null ? "null" : writeContainer(value, path, walk);
  }
}

function writeContainer(value: object, path: Path, walk: Walk): string {
  const ancestorPath = walk.ancestors.get(value);
  if (ancestorPath !== undefined) {
    return refuse(walk, path, "cycle", `a cycle: this refers back to ${formatAt(ancestorPath)}`);
  }
  if (path.length >= MAX_NESTING) {
    return refuse(walk, path, "too_deep", `nesting deeper than ${MAX_NESTING} objects/arrays is refused`);
  }
  const isArray = Array.isArray(value);
  const proto: unknown = Object.getPrototypeOf(value);
  const plain = isArray ? proto === Array.prototype : proto === Object.prototype || proto === null;
  if (!plain) {
    return refuse(
      walk,
      path,
      "non_plain_object",
      `${kindOf(value)} is not plain JSON data (only plain objects and arrays are)`,
    );
  }
  walk.ancestors.set(value, path);
  try {
    return isArray ? writeArray(value, path, walk) : writeObject(value, path, walk);
  } finally {
    walk.ancestors.delete(value);
  }
}

function writeObject(value: object, path: Path, walk: Walk): string {
  const entries: [string, unknown][] = [];
  for (const key of Reflect.ownKeys(value)) {
    const read = readOwn(value, key, path, walk);
    if (read !== NOTHING && typeof key === "string") entries.push([key, read]);
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const members = entries.map(
    ([key, member]) => `${JSON.stringify(key)}:${write(member, [...path, key], walk)}`,
  );
  return `{${members.join(",")}}`;
}

function writeArray(value: readonly unknown[], path: Path, walk: Walk): string {
  const { length } = value;
  let indices = 0;
  for (const key of Reflect.ownKeys(value)) {
    if (key === "length") continue;
    if (typeof key === "string" && isIndexBelow(key, length)) {
      indices += 1;
      continue;
    }
    const at = [...path, typeof key === "symbol" ? key.toString() : key];
    walk.issues.push(
      issue(at, "array_extra_property", "an array with a non-index property is not plain JSON data"),
    );
  }
  if (indices < length) {
    // Found without walking `length` slots: the first hole is at most `indices` steps in.
    let hole = 0;
    while (Object.hasOwn(value, hole)) hole += 1;
    const holes = length - indices;
    return refuse(
      walk,
      [...path, hole],
      "sparse_array",
      `a sparse array is not JSON (${holes} hole${holes === 1 ? "" : "s"}, the first at index ${hole})`,
    );
  }
  const items: string[] = [];
  for (let index = 0; index < length; index += 1) {
    const read = readOwn(value, String(index), path, walk);
    items.push(read === NOTHING ? "null" : write(read, [...path, index], walk));
  }
  return `[${items.join(",")}]`;
}

/** Reads one own property as data: refuses symbol keys, non-enumerable and accessor properties. */
function readOwn(value: object, key: string | symbol, path: Path, walk: Walk): unknown {
  const index = Array.isArray(value) && typeof key === "string" ? Number(key) : Number.NaN;
  const at = [...path, typeof key === "symbol" ? key.toString() : Number.isInteger(index) ? index : key];
  if (typeof key === "symbol") {
    walk.issues.push(issue(at, "symbol_key", "a symbol-keyed property is not JSON"));
    return NOTHING;
  }
  const descriptor = Reflect.getOwnPropertyDescriptor(value, key);
  if (descriptor === undefined) {
    walk.issues.push(issue(at, "unreadable", "the property vanished while being read"));
    return NOTHING;
  }
  if (!("value" in descriptor)) {
    walk.issues.push(issue(at, "accessor_property", "a getter/setter property is not plain JSON data"));
    return NOTHING;
  }
  if (!descriptor.enumerable) {
    walk.issues.push(
      issue(at, "non_enumerable_property", "a non-enumerable property is not plain JSON data"),
    );
    return NOTHING;
  }
  return descriptor.value;
}

/** True when `key` is the canonical spelling of an array index below `length` ("0", "12"; not "01"). */
function isIndexBelow(key: string, length: number): boolean {
  const index = Number(key);
  return Number.isInteger(index) && index >= 0 && index < length && String(index) === key;
}

function refuse(walk: Walk, path: Path, code: string, message: string): string {
  walk.issues.push(issue(path, code, message));
  return "null";
}

function issue(path: Path, code: string, message: string): FieldIssue {
  return { path, code, message };
}

function formatAt(path: Path): string {
  return path.length === 0 ? "the root" : `[${path.map((seg) => JSON.stringify(seg)).join(", ")}]`;
}

/** Names what kind of object `value` is, from its prototype's constructor, without trusting it to behave. */
function kindOf(value: object): string {
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor =
      typeof proto === "object" && proto !== null
        ? (Reflect.getOwnPropertyDescriptor(proto, "constructor")?.value as unknown)
        : undefined;
    return typeof ctor === "function" && typeof ctor.name === "string" && ctor.name !== ""
      ? `an instance of ${ctor.name}`
      : "an object with a custom prototype";
  } catch {
    return "an object with a custom prototype";
  }
}

function describeThrown(thrown: unknown): string {
  try {
    return thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
  } catch {
    return "an unprintable error";
  }
}
