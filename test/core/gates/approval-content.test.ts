import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApprovalContent,
  approvalContentDigest,
  carriedApprovals,
} from "../../../src/core/gates/approval-content.js";
import type { ApprovalRequest } from "../../../src/core/schemas/approval-request.js";
import { fixtureId } from "../../../src/testing/index.js";

const file = fc.record({
  path: fc.constantFrom("src/a.ts", "src/b.ts", "test/a.test.ts", "package.json"),
  previous_path: fc.constantFrom(null, "src/old.ts"),
  status: fc.constantFrom("added" as const, "modified" as const, "deleted" as const, "renamed" as const),
  mode: fc.constantFrom(null, "100644", "100755"),
  diff: fc.string({ maxLength: 30 }),
});
const content: fc.Arbitrary<ApprovalContent> = fc.record({
  base_sha: fc.constantFrom(null, "a".repeat(40), "b".repeat(40)),
  files: fc.uniqueArray(file, { selector: (f) => `${f.path}|${f.previous_path}`, maxLength: 4 }),
  checks: fc.uniqueArray(
    fc.record({
      check_type: fc.constantFrom("lint" as const, "unit" as const, "policy" as const),
      status: fc.constantFrom("passed" as const, "failed" as const),
    }),
    { selector: (c) => c.check_type, maxLength: 3 },
  ),
  policy_snapshot_hash: fc.constantFrom(null, "p1", "p2"),
});

describe("approvalContentDigest", () => {
  it("depends on the content only: any order of files and checks gives the same digest (property)", () => {
    fc.assert(
      fc.property(content, fc.integer(), (c, seed) => {
        const shuffle = <T>(xs: readonly T[]) =>
          [...xs].sort(
            (x, y) => ((JSON.stringify(x).length * seed) % 7) - ((JSON.stringify(y).length * seed) % 7),
          );
        expect(approvalContentDigest({ ...c, files: shuffle(c.files), checks: shuffle(c.checks) })).toBe(
          approvalContentDigest(c),
        );
      }),
    );
  });

  it("changes with any change to a file, a check result, the base or the policy (property)", () => {
    fc.assert(
      fc.property(content, content, (a, b) => {
        const same =
          a.base_sha === b.base_sha &&
          a.policy_snapshot_hash === b.policy_snapshot_hash &&
          JSON.stringify(sortFiles(a)) === JSON.stringify(sortFiles(b)) &&
          JSON.stringify(sortChecks(a)) === JSON.stringify(sortChecks(b));
        expect(approvalContentDigest(a) === approvalContentDigest(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
  });
});

const sortFiles = (c: ApprovalContent) =>
  [...c.files].sort((x, y) => `${x.path}|${x.previous_path}`.localeCompare(`${y.path}|${y.previous_path}`));
const sortChecks = (c: ApprovalContent) =>
  [...c.checks].sort((x, y) => x.check_type.localeCompare(y.check_type));

describe("carriedApprovals", () => {
  const base: ApprovalRequest = {
    id: fixtureId(1),
    run_id: fixtureId(2),
    assignment_id: fixtureId(3),
    approval_type: "create_pr",
    status: "approved",
    requested_by: "system:rungate",
    requested_at: "2026-01-01T00:00:00.000Z",
    resolved_by: "user:alice",
    resolved_at: "2026-01-01T00:01:00.000Z",
    notes: null,
    head_sha: "1".repeat(40),
    content_digest: "d1",
    carried_from: null,
    version: 1,
  };
  const carry = (approvals: ApprovalRequest[], digest = "d1") =>
    carriedApprovals(approvals, fixtureId(3), "2".repeat(40), digest, ["create_pr"]).map((a) => a.id);

  it("carries the latest person's approval of the same digest, and nothing else", () => {
    expect(carry([base])).toEqual([base.id]);
    expect(carry([base], "d2")).toEqual([]);
    expect(carry([{ ...base, content_digest: null }])).toEqual([]);
    expect(carry([{ ...base, status: "rejected" }])).toEqual([]);
    expect(carry([{ ...base, resolved_by: "agent:claude" }])).toEqual([]);
    expect(carry([{ ...base, assignment_id: fixtureId(9) }])).toEqual([]);
    // A later rejection of the same content wins over the earlier approval.
    const rejected = {
      ...base,
      id: fixtureId(4),
      status: "rejected" as const,
      resolved_at: "2026-01-01T00:02:00.000Z",
    };
    expect(carry([base, rejected])).toEqual([]);
  });
});
