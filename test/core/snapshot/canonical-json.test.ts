import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { FieldIssue } from "../../../src/core/errors.js";
import { canonicalJson, hashSnapshotValue } from "../../../src/core/snapshot/index.js";
import { reinsertKeys, seededRandom, withoutNegativeZero } from "./helpers.js";

/** The issues canonicalJson reported for `value` (fails the test if it succeeded). */
function issuesOf(value: unknown): readonly FieldIssue[] {
  const result = canonicalJson(value);
  if (result.isOk()) throw new Error(`expected an error, got ${result.value}`);
  expect(result.error.kind).toBe("validation");
  expect(result.error.code).toBe("not_canonical_json");
  return result.error.detail.issues;
}

/** The one issue canonicalJson reported for `value`, as `[path, code]`. */
function onlyIssue(value: unknown): [readonly (string | number)[], string] {
  const issues = issuesOf(value);
  expect(issues).toHaveLength(1);
  const [first] = issues;
  return [first?.path ?? ["(none)"], first?.code ?? "(none)"];
}

/** An independent reference serialiser for plain JSON values: default `sort()` is UTF-16 code unit order. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

const textUnit = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
);

describe("canonical JSON", () => {
  describe("writes one text per value", () => {
    it("sorts object keys at every depth and writes no whitespace", () => {
      expect(canonicalJson({ b: 1, a: [true, null, "x", { d: {}, c: [] }] })._unsafeUnwrap()).toBe(
        '{"a":[true,null,"x",{"c":[],"d":{}}],"b":1}',
      );
    });

    it("sorts keys by UTF-16 code units, not numerically and not by code point", () => {
      const value = { "2": 0, "10": 0, a: 0, B: 0, é: 0, "\uffff": 0, "\u{1f600}": 0 };
      expect(canonicalJson(value)._unsafeUnwrap()).toBe(
        '{"10":0,"2":0,"B":0,"a":0,"é":0,"\u{1f600}":0,"\uffff":0}',
      );
    });

    it("writes numbers as JSON.stringify does and -0 as 0", () => {
      expect(canonicalJson([-0, 0.1, 1e21, 5e-324, -1.5, 2 ** 53])._unsafeUnwrap()).toBe(
        "[0,0.1,1e+21,5e-324,-1.5,9007199254740992]",
      );
      expect(canonicalJson({ a: -0 })._unsafeUnwrap()).toBe('{"a":0}');
    });

    it("escapes strings as JSON.stringify does, keeping lone surrogates as escapes", () => {
      expect(canonicalJson(['"\\\n\u0001', "\u2028", "\ud800", "\u{1f600}"])._unsafeUnwrap()).toBe(
        '["\\"\\\\\\n\\u0001","\u2028","\\ud800","\u{1f600}"]',
      );
    });

    it("accepts objects without a prototype, shared subtrees and a plain __proto__ key", () => {
      const bare = Object.assign(Object.create(null) as object, { z: 1, y: 2 });
      const shared = { s: [1] };
      const withProtoKey = JSON.parse('{"__proto__":{"x":1}}') as unknown;
      expect(canonicalJson({ bare, one: shared, two: shared, withProtoKey })._unsafeUnwrap()).toBe(
        '{"bare":{"y":2,"z":1},"one":{"s":[1]},"two":{"s":[1]},"withProtoKey":{"__proto__":{"x":1}}}',
      );
    });

    it("gives the same text and hash whatever order the keys were inserted in", () => {
      fc.assert(
        fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
          const shuffled = reinsertKeys(value, seededRandom(seed));
          expect(canonicalJson(shuffled)._unsafeUnwrap()).toBe(canonicalJson(value)._unsafeUnwrap());
          expect(hashSnapshotValue(shuffled)._unsafeUnwrap()).toBe(hashSnapshotValue(value)._unsafeUnwrap());
        }),
        { numRuns: 1000 },
      );
    });

    it("agrees with a reference serialiser, unicode and lone surrogates included", () => {
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit: textUnit }), (value) => {
          expect(canonicalJson(value)._unsafeUnwrap()).toBe(reference(value));
        }),
        { numRuns: 1000 },
      );
    });

    it("round-trips: JSON.parse of the text deep-equals the value (with -0 read as 0)", () => {
      fc.assert(
        fc.property(fc.jsonValue({ stringUnit: textUnit }), (value) => {
          const text = canonicalJson(value)._unsafeUnwrap();
          expect(JSON.parse(text)).toStrictEqual(withoutNegativeZero(value));
          expect(canonicalJson(JSON.parse(text))._unsafeUnwrap()).toBe(text);
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe("refuses what is not plain JSON data, naming the path", () => {
    it("refuses undefined at the root", () => {
      expect(onlyIssue(undefined)).toEqual([[], "undefined_value"]);
    });

    it("refuses an object property whose value is undefined instead of dropping it", () => {
      expect(onlyIssue({ a: { b: undefined } })).toEqual([["a", "b"], "undefined_value"]);
    });

    it("refuses undefined in an array instead of writing null", () => {
      expect(onlyIssue({ list: [1, undefined] })).toEqual([["list", 1], "undefined_value"]);
    });

    it("refuses functions, symbols and bigints", () => {
      expect(onlyIssue({ f: () => 1 })).toEqual([["f"], "function_value"]);
      expect(onlyIssue([Symbol("s")])).toEqual([[0], "symbol_value"]);
      expect(onlyIssue({ n: { big: 1n } })).toEqual([["n", "big"], "bigint_value"]);
    });

    it("refuses NaN and the infinities", () => {
      expect(onlyIssue({ x: Number.NaN })).toEqual([["x"], "non_finite_number"]);
      expect(onlyIssue([Number.POSITIVE_INFINITY])).toEqual([[0], "non_finite_number"]);
      expect(onlyIssue({ y: [Number.NEGATIVE_INFINITY] })).toEqual([["y", 0], "non_finite_number"]);
    });

    it("refuses a cycle and names its path and the ancestor it returns to", () => {
      const root: Record<string, unknown> = { x: {} };
      (root.x as Record<string, unknown>).self = root;
      expect(onlyIssue(root)).toEqual([["x", "self"], "cycle"]);
      expect(issuesOf(root)[0]?.message).toContain("the root");

      const list: unknown[] = [1, { inner: [] }];
      ((list[1] as { inner: unknown[] }).inner as unknown[]).push(list[1]);
      expect(onlyIssue({ list })).toEqual([["list", 1, "inner", 0], "cycle"]);
      expect(issuesOf({ list })[0]?.message).toContain('["list", 1]');
    });

    it("refuses objects that are not plain: Date, Map, Set, class instances, typed arrays, boxes", () => {
      class Point {
        x = 1;
      }
      class List extends Array<number> {}
      const cases: [unknown, string][] = [
        [new Date(0), "Date"],
        [new Map(), "Map"],
        [new Set([1]), "Set"],
        [new Point(), "Point"],
        [new Uint8Array(2), "Uint8Array"],
        [new String("s"), "String"],
        [List.from([1]), "List"],
        [Object.create({ inherited: 1 }) as object, "custom prototype"],
      ];
      for (const [value, name] of cases) {
        expect(onlyIssue({ at: [value] })).toEqual([["at", 0], "non_plain_object"]);
        expect(issuesOf({ at: [value] })[0]?.message).toContain(name);
      }
    });

    it("refuses a sparse array, pointing at its first hole", () => {
      // biome-ignore lint/suspicious/noSparseArray: the hole is the point of this case
      expect(onlyIssue({ a: [1, , 3] })).toEqual([["a", 1], "sparse_array"]);
      expect(onlyIssue(new Array(2 ** 32 - 1))).toEqual([[0], "sparse_array"]);
    });

    it("refuses an array carrying a non-index property", () => {
      expect(onlyIssue(Object.assign([1, 2], { extra: true }))).toEqual([["extra"], "array_extra_property"]);
    });

    it("refuses symbol keys, non-enumerable properties and accessors, without calling getters", () => {
      const getter = vi.fn(() => 1);
      expect(onlyIssue({ [Symbol("k")]: 1 })).toEqual([["Symbol(k)"], "symbol_key"]);
      expect(onlyIssue(Object.defineProperty({}, "hidden", { value: 1 }))).toEqual([
        ["hidden"],
        "non_enumerable_property",
      ]);
      expect(onlyIssue({ o: Object.defineProperty({}, "g", { get: getter, enumerable: true }) })).toEqual([
        ["o", "g"],
        "accessor_property",
      ]);
      expect(getter).not.toHaveBeenCalled();
    });

    it("reports every offending place, not just the first", () => {
      const issues = issuesOf({ a: undefined, b: [Number.NaN, () => 1], c: { d: 1n }, ok: "fine" });
      expect(issues.map((issue) => [issue.path, issue.code])).toEqual([
        [["a"], "undefined_value"],
        [["b", 0], "non_finite_number"],
        [["b", 1], "function_value"],
        [["c", "d"], "bigint_value"],
      ]);
    });

    it("puts the paths into the error's message", () => {
      const result = canonicalJson({ cards: [{ when: new Date(0) }] });
      expect(result._unsafeUnwrapErr().message).toContain("cards[0].when");
    });
  });

  describe("never throws", () => {
    it("returns a result for anything fast-check can build", () => {
      const anything = fc.anything({
        withBigInt: true,
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withObjectString: true,
        withSet: true,
        withSparseArray: true,
        withTypedArray: true,
        withUnicodeString: true,
      });
      fc.assert(
        fc.property(anything, (value) => {
          const result = canonicalJson(value);
          if (result.isOk())
            expect(canonicalJson(JSON.parse(result.value))._unsafeUnwrap()).toBe(result.value);
          else expect(result.error.detail.issues.length).toBeGreaterThan(0);
        }),
        { numRuns: 2000 },
      );
    });

    it("reports values that throw when read as unreadable", () => {
      const { proxy, revoke } = Proxy.revocable({}, {});
      revoke();
      expect(onlyIssue({ p: proxy })).toEqual([["p"], "unreadable"]);
      const hostile = new Proxy(
        {},
        {
          ownKeys() {
            throw new Error("no keys for you");
          },
        },
      );
      expect(onlyIssue([hostile])).toEqual([[0], "unreadable"]);
    });

    it("refuses nesting deeper than 256 containers with a fixed rule, however deep the value goes", () => {
      const nest = (levels: number): unknown => {
        let value: unknown = 0;
        for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { k: value };
        return value;
      };
      expect(canonicalJson(nest(256)).isOk()).toBe(true);
      const [path, code] = onlyIssue(nest(257));
      expect(code).toBe("too_deep");
      expect(path).toHaveLength(256);
      expect(onlyIssue(nest(200_000))[1]).toBe("too_deep");
    });
  });
});
