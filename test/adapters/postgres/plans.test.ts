import { describe, expect, it } from "vitest";
import {
  LATEST_SCHEMA_VERSION,
  type Migration,
  migrationsFor,
} from "../../../src/adapters/postgres/index.js";
import { migrationPlan } from "../../../src/adapters/postgres/migrations.js";
import {
  checkFence,
  claimNextAssignment,
  extendLease,
  insertEvent,
  insertVersioned,
  quoteSchema,
  releaseLease,
  updateVersioned,
  type VersionedRow,
} from "../../../src/adapters/postgres/plans.js";

const hostile = `x'); DROP TABLE runs; --`;

const row: VersionedRow = {
  id: hostile,
  run_id: hostile,
  phase: hostile,
  hashes: { system_policy: hostile, run_input: hostile },
  record: JSON.stringify({ id: hostile }),
  status: hostile,
};

describe("SQL plans", () => {
  it("quote the schema and refuse one that is not a plain lowercase identifier", () => {
    expect(quoteSchema("rungate_1")).toBe('"rungate_1"');
    for (const bad of ['a"b', "A", "1abc", "", "a-b", "x".repeat(64), "a b"]) {
      expect(() => quoteSchema(bad)).toThrow(/invalid schema name/);
    }
  });

  it("carry every value as a bind parameter, never in the statement text", () => {
    const plans = [
      ...(["runs", "assignments", "approvals", "pull_requests"] as const).flatMap((table) => [
        insertVersioned("s", table, row),
        updateVersioned("s", table, row, 3),
      ]),
      insertEvent("s", { id: hostile, run_id: hostile, created_at: hostile, record: "{}" }),
      claimNextAssignment("s", { worker_id: hostile, lease_ms: 1, phases: [hostile] }),
      extendLease("s", { assignment_id: hostile, token: hostile, lease_ms: 1 }),
      releaseLease("s", { assignment_id: hostile, token: hostile }),
      checkFence("s", { assignment_id: hostile, token: hostile }),
    ];
    for (const plan of plans) {
      expect(plan.text).not.toContain("DROP");
      expect(plan.text).toContain('"s".');
      expect(plan.values).toContain(hostile);
    }
  });

  it("number every placeholder a plan uses, from $1 up with no gap", () => {
    for (const table of ["runs", "assignments", "approvals", "pull_requests"] as const) {
      for (const plan of [insertVersioned("s", table, row), updateVersioned("s", table, row, 0)]) {
        const used = new Set([...plan.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
        expect([...used].sort((x, y) => x - y)).toEqual(plan.values.map((_, i) => i + 1));
      }
    }
  });
});

describe("migrations", () => {
  const migrations = migrationsFor("s");

  it("chain from 0 to the latest version through their previous links", () => {
    expect(migrations.map((m) => [m.previous, m.version])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
      [6, 7],
      [7, 8],
    ]);
    expect(migrations.at(-1)?.version).toBe(LATEST_SCHEMA_VERSION);
    for (const m of migrations) {
      expect(m.up.length).toBeGreaterThan(0);
      expect(m.down.length).toBeGreaterThan(0);
    }
  });

  it("plan ups in ascending order and downs in descending order", () => {
    const up = migrationPlan(migrations, 0, 3)._unsafeUnwrap();
    expect(up.direction).toBe("up");
    expect(up.steps.map((m) => m.version)).toEqual([1, 2, 3]);
    const down = migrationPlan(migrations, 3, 0)._unsafeUnwrap();
    expect(down.direction).toBe("down");
    expect(down.steps.map((m) => m.version)).toEqual([3, 2, 1]);
    expect(migrationPlan(migrations, 2, 2)._unsafeUnwrap().steps).toEqual([]);
  });

  it("refuse to guess across a missing link or towards an unknown version", () => {
    const gap: Migration[] = migrations.filter((m) => m.version !== 1);
    expect(migrationPlan(gap, 0, 2)._unsafeUnwrapErr()).toMatch(/no migration to version 1/);
    expect(migrationPlan(migrations, 0, LATEST_SCHEMA_VERSION + 1)._unsafeUnwrapErr()).toMatch(
      /unknown target/,
    );
  });
});
