import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../src/core/snapshot/index.js";

/** What node:crypto says (it encodes a string as UTF-8, lone surrogates as U+FFFD). */
const nodeSha256 = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** One UTF-16 piece of text: any code point (astral ones included) or a lone surrogate half. */
const anyUnit = fc.oneof(
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
);

describe("sha256", () => {
  it("matches the NIST FIPS 180-4 example vectors", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
    expect(sha256Hex("a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("matches node:crypto on random unicode text, astral characters and lone surrogates included", () => {
    fc.assert(
      fc.property(fc.string({ unit: anyUnit, maxLength: 300 }), (text) => {
        expect(sha256Hex(text)).toBe(nodeSha256(text));
      }),
      { numRuns: 500 },
    );
  });

  it("matches node:crypto at every length across the block and padding boundaries (0..200 bytes)", () => {
    for (let length = 0; length <= 200; length += 1) {
      const ascii = Array.from({ length }, (_, i) => String.fromCharCode(32 + ((i * 7) % 95))).join("");
      expect(sha256Hex(ascii), `ascii, ${length} bytes`).toBe(nodeSha256(ascii));
    }
    // Multi-byte characters move the boundaries: 2, 3 and 4 UTF-8 bytes per character.
    for (const char of ["é", "€", "\u{1f600}"]) {
      for (let count = 0; count <= 60; count += 1) {
        const text = `x${char.repeat(count)}`;
        expect(sha256Hex(text), `${JSON.stringify(char)} x ${count}`).toBe(nodeSha256(text));
      }
    }
  });

  it("hashes a lone surrogate as U+FFFD, as TextEncoder and node:crypto encode it", () => {
    expect(sha256Hex("\ud800")).toBe(sha256Hex("\ufffd"));
    expect(sha256Hex("a\udc00b")).toBe(sha256Hex("a\ufffdb"));
    expect(sha256Hex("\ud83d\ude00")).not.toBe(sha256Hex("\ufffd\ufffd"));
  });

  it("writes 64 lowercase hex digits", () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(sha256Hex(text)).toMatch(/^[0-9a-f]{64}$/);
      }),
    );
  });
});
