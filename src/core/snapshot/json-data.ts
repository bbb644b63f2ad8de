import { putOwn } from "./put-own.js";

/**
 * What `JSON.parse(JSON.stringify(value))` answers for plain data, without the text in between: `undefined`,
 * functions and symbols left out of objects (`null` in arrays), non-finite numbers `null`, boxed primitives
 * unboxed, `toJSON` honoured (a `Date` becomes its ISO string), own enumerable string keys only (an own
 * `"__proto__"` stays a key). Strings are the same strings, not re-read copies. Throws as `JSON.stringify`
 * does on a `bigint`; a cycle is a programmer error here too (a stack overflow instead of a `TypeError`).
 * Why: every event payload is made JSON this way, and the text round trip was a visible share of a lifecycle.
 */
export function jsonData(value: unknown): unknown {
  return convert(value, "");
}

function convert(value: unknown, key: string): unknown {
  if (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  ) {
    return convert((value as { toJSON: (key: string) => unknown }).toJSON(key), key);
  }
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // -0 reads back as 0 from JSON text.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : null;
    case "bigint":
      throw new TypeError("Do not know how to serialize a BigInt");
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return convert(value.valueOf(), key);
  }
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = convert(value[i], String(i)) ?? null;
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    const inner = convert((value as Record<string, unknown>)[k], k);
    if (inner !== undefined) putOwn(out, k, inner);
  }
  return out;
}
