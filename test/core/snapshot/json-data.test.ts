import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonData } from "../../../src/core/snapshot/json-data.js";

describe("jsonData", () => {
  it("answers what a JSON text round trip answers, for any value without bigints or cycles", () => {
    const values = fc.anything({
      withBoxedValues: true,
      withDate: true,
      withSparseArray: true,
      withNullPrototype: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
      // JSON.parse makes an own "__proto__" key a prototype-less key too; the property compares through text.
      key: fc.string().filter((k) => k !== "__proto__"),
    });
    fc.assert(
      fc.property(values, (value) => {
        const text = JSON.stringify(value);
        expect(JSON.stringify(jsonData(value))).toBe(text);
        if (text !== undefined) expect(jsonData(value)).toEqual(JSON.parse(text));
      }),
      { numRuns: 3_000 },
    );
  });

  it("keeps undefined out of objects, as null in arrays, and non-finite numbers as null", () => {
    expect(
      jsonData({ a: undefined, b: [undefined, Number.NaN, () => 1], c: Number.POSITIVE_INFINITY }),
    ).toEqual({
      b: [null, null, null],
      c: null,
    });
  });

  it("keeps an own __proto__ key a key", () => {
    const data = jsonData(JSON.parse('{"__proto__":{"x":1}}')) as object;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(JSON.stringify(data)).toBe('{"__proto__":{"x":1}}');
  });

  it("throws on a bigint, as JSON.stringify does", () => {
    expect(() => jsonData({ n: 1n })).toThrow(TypeError);
  });
});
