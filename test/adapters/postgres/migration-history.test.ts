/**
 * A migration that shipped is history: databases went through its exact statements, so a later release must add
 * a migration instead of editing one (migration 6 replaces the write function rather than changing migration 5's
 * text, which lives on in src/adapters/postgres/write-function-v5.ts; migration 7 likewise, write-function-v6.ts;
 * migration 8, write-function-v7.ts).
 * This pins the text of every released migration, and of one a later migration builds on; add the new one's hash
 * here when it is released.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { migrationsFor } from "../../../src/adapters/postgres/index.js";

const RELEASED: Readonly<Record<number, string>> = {
  1: "644465afc67f8b308201a5332593ae0f29f331566dd003b00e1aa2829a96f270",
  2: "591f8266636ff0201003a75539fb724d9e6df5347f77843ec99b105ab15e4065",
  3: "a684e6518d971867ca418a9272922ca84a59d8451d4874fda8d8d97f3146bb28",
  4: "0c0e57800df17e29cd284a002d6d2e10d2ba40d66e11ca6ca21771b37ec1adeb",
  5: "846cd8c5a115b82a8654945f11a9ff41424ea30c066d380a87da1adb108e3eaf",
  // Migration 7 builds on version 6's stored form (and its down installs version 6's function again).
  6: "16d6f313dbbbbd609fc6753a5e9dfa621c22b0879cb46e6b14ea84c62e6301dd",
  7: "69bae7ebcc0f41ff763f11d7ed799df4b078f1b176e7df6ffbc87ccee9925fd4",
};

describe("migration history", () => {
  it("keeps the statements of every released migration word for word", () => {
    const hashes = Object.fromEntries(
      migrationsFor("rungate")
        .filter((m) => m.version in RELEASED)
        .map((m) => [
          m.version,
          createHash("sha256")
            .update(JSON.stringify([m.up, m.down]))
            .digest("hex"),
        ]),
    );
    expect(hashes).toEqual(RELEASED);
  });
});
