import { describe, expect, it } from "vitest";
import { splitEvidence } from "../../src/core/pull-request/evidence.js";
import { fixtureId } from "../../src/testing/index.js";
import { approveAsPerson, cardRequest, setup } from "./helpers.js";

/** A card taken to a draft PR on the fakes, approved by alice. */
async function drafted() {
  const { ports, orchestrator } = setup();
  const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
  const a = built.assignments[0];
  const approval = built.approvals[0];
  if (!a || !approval) throw new Error("missing records");
  await approveAsPerson(orchestrator, built.run.id, approval.id);
  const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
  return { ports, orchestrator, built, a, pr, body: pr.description ?? "" };
}

describe("the evidence bundle at the end of every drafted PR body", () => {
  it("carries the policy hash, base and head, content digest, checks and approver, and verifies", async () => {
    const { orchestrator, built, a, body } = await drafted();
    const { evidence } = splitEvidence(body)._unsafeUnwrap();
    expect(evidence).toMatchObject({
      run_id: built.run.id,
      assignment_id: a.id,
      policy_snapshot_hash: built.run.snapshot_hashes?.system_policy,
      base_sha: a.base_sha,
      head_sha: a.head_sha,
      approvals: [{ approval_type: "create_pr", decided_by: "user:alice" }],
    });
    expect(evidence.content_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(evidence.checks.map((c) => [c.check_type, c.status])).toEqual([
      ["lint", "passed"],
      ["policy", "passed"],
      ["unit", "passed"],
    ]);
    const verified = (await orchestrator.verifyEvidence({ body }))._unsafeUnwrap();
    expect(verified).toMatchObject({ verified: true, mismatches: [] });
    // The same bundle for audits.
    expect((await orchestrator.exportEvidence({ assignment_id: a.id }))._unsafeUnwrap()).toEqual(evidence);
  });

  it("fails verification when the body above the block is edited", async () => {
    const { orchestrator, body } = await drafted();
    const edited = body.replace("This is a draft.", "This is ready to merge.");
    const v = (await orchestrator.verifyEvidence({ body: edited }))._unsafeUnwrap();
    expect(v.verified).toBe(false);
    expect(v.mismatches.map((m) => m.field)).toEqual(["body_sha256"]);
  });

  it("fails verification when the block itself is edited (a failed check passed off as passed)", async () => {
    const { orchestrator, body } = await drafted();
    const edited = body.replace('"user:alice"', '"user:mallory"');
    const v = (await orchestrator.verifyEvidence({ body: edited }))._unsafeUnwrap();
    expect(v.mismatches.map((m) => m.field)).toEqual(["approvals"]);
  });

  it("fails verification when the run's records change after the PR was drafted", async () => {
    const { ports, orchestrator, built, a, body } = await drafted();
    (
      await ports.storage.write({
        checks: [
          {
            id: fixtureId(77_001),
            run_id: built.run.id,
            assignment_id: a.id,
            check_type: "unit",
            status: "failed",
            output: "rewritten afterwards",
            executed_at: "2099-01-01T00:00:00.000Z",
            head_sha: a.head_sha,
            duration_ms: 1,
          },
        ],
      })
    )._unsafeUnwrap();
    const v = (await orchestrator.verifyEvidence({ body }))._unsafeUnwrap();
    expect(v.verified).toBe(false);
    expect(v.mismatches.map((m) => m.field)).toEqual(["checks"]);
  });

  it("refuses a body without evidence with a typed error", async () => {
    const { orchestrator } = await drafted();
    const v = await orchestrator.verifyEvidence({ body: "Just a PR." });
    expect(v._unsafeUnwrapErr()).toMatchObject({ kind: "validation", code: "no_evidence" });
  });
});
