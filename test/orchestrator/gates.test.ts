import { describe, expect, it } from "vitest";
import { fixtureId, policyFixture } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

/** An agent that writes a migration, a protected path of the fixture policy. */
const MIGRATION_AGENT = {
  agent: { [CARD]: [{ commits: [{ files: { "migrations/001.sql": "create table t();\n" } }] }] },
};

/** A card allowed to change migrations, planning the protected-path approval it will need. */
const migrationRequest = () =>
  cardRequest(
    {
      cards: [
        {
          card_id: CARD,
          title: "migrate",
          allowed_paths: ["migrations/**"],
          planned_approvals: ["protected_path_change"],
        },
      ],
    },
    policyFixture(),
  );

describe("the orchestrator never skips a gate", () => {
  it("fails an agent that wrote a forbidden path, names the path, and asks nobody", async () => {
    const { ports, orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/ok.ts": "x\n", "src/.env": "TOKEN=1\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("failed");
    expect(built.run.phase).toBe("failed");
    expect(built.approvals).toEqual([]);
    expect(built.checks).toEqual([]);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    const collected = events.find((e) => e.event_type === "assignment.changes_collected");
    expect(collected?.payload.violations).toEqual([
      { path: "src/.env", verdict: "forbidden", rule: "**/.env" },
    ]);
    expect(events.some((e) => e.event_type === "approval.requested")).toBe(false);
  });

  it("fails an agent that changed files outside its allowed paths", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "docs/readme.md": "x\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("failed");
  });

  it("fails an agent that says it committed but did not", async () => {
    const { orchestrator } = setup({ agent: { [CARD]: [{ outcome: "committed" }] } });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("failed");
    expect(built.executions[0]?.outcome).toBe("no_changes");
  });

  it("does not ask for approval when a required check failed, and names it", async () => {
    const { ports, orchestrator } = setup({
      checks: { unit: { status: "failed", output: "1 failing", duration_ms: 3 } },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.assignments[0]?.phase).toBe("checks_failed");
    expect(built.run.phase).toBe("checks_failed");
    expect(built.run.status).toBe("blocked");
    expect(built.approvals).toEqual([]);
    const events = (await ports.storage.listEvents(built.run.id))._unsafeUnwrap();
    const closed = events.find((e) => e.event_type === "approval.gate_closed");
    expect(closed?.payload.reasons).toEqual([
      expect.objectContaining({ code: "check_not_passed", subject: "unit" }),
    ]);
    const direct = await orchestrator.requestApproval({ assignment_id: built.assignments[0]?.id ?? "" });
    expect(direct.isErr()).toBe(true);
  });

  it("treats a skipped or erroring required check as not passed", async () => {
    const { orchestrator } = setup({
      checks: {
        lint: { status: "skipped", output: null, duration_ms: 0 },
        unit: () => ({
          kind: "port_failure",
          code: "boom",
          message: "runner down",
          detail: { port: "CheckRunner", adapter: "x", operation: "run", retryable: true },
        }),
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.approvals).toEqual([]);
    expect(built.checks.map((c) => [c.check_type, c.status]).sort()).toEqual([
      ["lint", "skipped"],
      ["policy", "passed"],
      ["unit", "error"],
    ]);
  });

  it("refuses approval when a required check is missing from the results", async () => {
    const { orchestrator } = setup();
    const created = (
      await orchestrator.createRun(cardRequest({ planned_checks: ["policy", "lint", "unit"] }))
    )._unsafeUnwrap();
    const a = created.assignments[0];
    if (!a) throw new Error("no assignment");
    await orchestrator.resumeRun(created.run.id);
    // Only asking directly, on a card whose checks were never run, can show a missing check:
    const again = (
      await orchestrator.createRun(
        cardRequest({
          card_id: fixtureId(7),
          cards: [{ card_id: fixtureId(7), title: "t", allowed_paths: ["src/**"] }],
        }),
      )
    )._unsafeUnwrap();
    const refused = await orchestrator.requestApproval({ assignment_id: again.assignments[0]?.id ?? "" });
    expect(refused._unsafeUnwrapErr().kind).toBe("gate_closed");
    expect(refused._unsafeUnwrapErr().message).toMatch(/no commit|no result/);
  });

  it("re-checks after a new commit: the old head's approval is stale and no PR goes out for unchecked code", async () => {
    const { ports, orchestrator } = setup();
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const a = built.assignments[0];
    const approval = built.approvals[0];
    if (!a?.worktree_path || !approval) throw new Error("missing records");
    expect(a.phase).toBe("awaiting_approval");
    const late = ports.git.commit({
      worktree_path: a.worktree_path,
      files: { "src/late.ts": "late\n" },
      message: "late change",
    });
    const decided = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "alice",
    });
    expect(decided._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "stale_approval" });
    const moved = (await ports.storage.getAssignment(a.id))._unsafeUnwrap();
    expect(moved.phase).toBe("checking");
    expect(moved.head_sha).toBe(late._unsafeUnwrap());
    expect(
      (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrapErr().kind,
    ).toBe("gate_closed");
    expect(ports.pullRequests.pullRequests).toHaveLength(0);

    const rechecked = (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(rechecked.result).toBe("awaiting_approval");
    expect(rechecked.checks.every((c) => c.head_sha === moved.head_sha)).toBe(true);
    const fresh = rechecked.result === "awaiting_approval" ? rechecked.approval.approvals[0] : undefined;
    expect(fresh?.head_sha).toBe(moved.head_sha);
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: fresh?.id ?? "",
      decision: "approve",
      decided_by: "alice",
    });
    const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap();
    expect(pr.head_sha).toBe(moved.head_sha);
  });

  it("judges a late commit by the path rules too", async () => {
    const { ports, orchestrator } = setup();
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const a = built.assignments[0];
    if (!a?.worktree_path) throw new Error("missing records");
    ports.git.commit({
      worktree_path: a.worktree_path,
      files: { "secrets/key.txt": "k\n" },
      message: "sneaky",
    });
    const rechecked = (await orchestrator.executeChecks({ assignment_id: a.id }))._unsafeUnwrap();
    expect(rechecked.result).toBe("checks_failed");
    expect(rechecked.checks.find((c) => c.check_type === "policy")?.output).toContain("secrets/key.txt");
  });

  it("a rejected approval creates no PR, and a decision is recorded once", async () => {
    const { ports, orchestrator } = setup();
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const approval = built.approvals[0];
    const a = built.assignments[0];
    if (!approval || !a) throw new Error("missing");
    const rejected = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: approval.id,
        decision: "reject",
        decided_by: "carol",
        notes: "not like this",
      })
    )._unsafeUnwrap();
    expect(rejected.assignment.phase).toBe("approval_rejected");
    const again = await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "mallory",
    });
    expect(again._unsafeUnwrapErr()).toMatchObject({ kind: "conflict", code: "already_decided" });
    const pr = await orchestrator.createPullRequestCandidate({ assignment_id: a.id });
    expect(pr._unsafeUnwrapErr()).toMatchObject({ kind: "gate_closed" });
    expect(pr._unsafeUnwrapErr().message).toContain("rejected by user:carol");
    expect(ports.pullRequests.pullRequests).toHaveLength(0);
    const run = (await orchestrator.getRun(built.run.id))._unsafeUnwrap();
    expect(run.run.phase).toBe("approval_rejected");
    expect(run.approvals[0]?.resolved_by).toBe("user:carol");
  });

  it("needs the protected-path approval the policy names before a PR", async () => {
    const { ports, orchestrator } = setup(MIGRATION_AGENT);
    const built = (await orchestrator.triggerBuild(migrationRequest()))._unsafeUnwrap();
    expect(built.approvals.map((x) => x.approval_type).sort()).toEqual([
      "create_pr",
      "protected_path_change",
    ]);
    const create = built.approvals.find((x) => x.approval_type === "create_pr");
    const a = built.assignments[0];
    if (!create || !a) throw new Error("missing");
    const one = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: create.id,
        decision: "approve",
        decided_by: "alice",
      })
    )._unsafeUnwrap();
    expect(one.assignment.phase).toBe("awaiting_approval");
    const refused = await orchestrator.createPullRequestCandidate({ assignment_id: a.id });
    expect(refused._unsafeUnwrapErr().message).toContain("protected_path_change");
    expect(ports.pullRequests.pullRequests).toHaveLength(0);
    const other = built.approvals.find((x) => x.approval_type === "protected_path_change");
    const two = (
      await orchestrator.recordApprovalDecision({
        run_id: built.run.id,
        approval_id: other?.id ?? "",
        decision: "approve",
        decided_by: "dana",
      })
    )._unsafeUnwrap();
    expect(two.assignment.phase).toBe("approved");
    expect(
      (await orchestrator.createPullRequestCandidate({ assignment_id: a.id }))._unsafeUnwrap().status,
    ).toBe("draft_open");
  });

  it("refuses a decision once the run is cancelled, even one that would not yet move the card", async () => {
    const { ports, orchestrator } = setup(MIGRATION_AGENT);
    const built = (await orchestrator.triggerBuild(migrationRequest()))._unsafeUnwrap();
    expect(built.approvals).toHaveLength(2);
    (await orchestrator.cancelRun({ run_id: built.run.id, cancelled_by: "user:erin" }))._unsafeUnwrap();

    // Two approvals are needed, so this one alone would not move the card: before, it was stored anyway.
    for (const approval of built.approvals) {
      const refused = (
        await orchestrator.recordApprovalDecision({
          run_id: built.run.id,
          approval_id: approval.id,
          decision: "approve",
          decided_by: "alice",
        })
      )._unsafeUnwrapErr();
      expect(refused).toMatchObject({ kind: "conflict", code: "not_awaiting_approval" });
      expect(refused.message).toContain("its card is cancelled");
    }
    const stored = ports.storage.snapshot();
    expect(stored.approvals.map((a) => a.status)).toEqual(["pending", "pending"]);
    expect(stored.events.filter((e) => e.event_type === "approval.decided")).toEqual([]);
  });

  it("says first that a card failed, and why, when its approval is asked for", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/config/.env": "TOKEN=x\n" } }] }] },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    const card = built.assignments[0];
    expect(card?.phase).toBe("failed");
    const refused = (
      await orchestrator.requestApproval({ assignment_id: card?.id ?? "" })
    )._unsafeUnwrapErr();
    expect(refused).toMatchObject({ kind: "gate_closed", code: "approval_gate_closed" });
    if (refused.kind !== "gate_closed") throw new Error("unreachable");
    expect(refused.detail.reasons[0]).toMatchObject({ code: "card_ended", subject: card?.id });
    expect(refused.message).toContain("the card failed (path_violation)");
  });

  it("refuses a run input the policy forbids and stores nothing", async () => {
    const { ports, orchestrator } = setup();
    const refused = await orchestrator.triggerBuild(cardRequest({ planned_checks: ["lint"] }));
    expect(refused._unsafeUnwrapErr().kind).toBe("policy_violation");
    expect(ports.storage.snapshot().runs).toHaveLength(0);
  });
});

describe("orchestrator inputs", () => {
  it("answers a malformed id with a validation error naming the field", async () => {
    const { orchestrator } = setup();
    const r = await orchestrator.executeChecks({ assignment_id: "not-a-uuid" });
    expect(r._unsafeUnwrapErr()).toMatchObject({ kind: "validation" });
    expect(r._unsafeUnwrapErr().message).toContain("assignment_id");
    expect((await orchestrator.getRun("nope"))._unsafeUnwrapErr().kind).toBe("validation");
    expect((await orchestrator.getRun(fixtureId(999)))._unsafeUnwrapErr().kind).toBe("not_found");
  });
});

describe("dependency changes", () => {
  it("need a dependency_change approval when the policy asks for it, before any PR", async () => {
    const policy = policyFixture({
      protected_paths: [],
      dependency_policy: { require_approval_for_changes: true },
    });
    const { ports, orchestrator } = setup({
      agent: {
        [CARD]: [
          { commits: [{ files: { "src/web/package.json": '{ "dependencies": { "left-pad": "1" } }\n' } }] },
        ],
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest({}, policy)))._unsafeUnwrap();
    expect(built.approvals.map((a) => a.approval_type).sort()).toEqual(["create_pr", "dependency_change"]);
    const create = built.approvals.find((a) => a.approval_type === "create_pr");
    const a = built.assignments[0];
    if (!create || !a) throw new Error("missing");
    await orchestrator.recordApprovalDecision({
      run_id: built.run.id,
      approval_id: create.id,
      decision: "approve",
      decided_by: "alice",
    });
    const refused = await orchestrator.createPullRequestCandidate({ assignment_id: a.id });
    expect(refused._unsafeUnwrapErr().message).toContain("dependency_change");
    expect(ports.pullRequests.pullRequests).toHaveLength(0);
  });

  it("need nothing extra when the policy does not ask", async () => {
    const { orchestrator } = setup({
      agent: { [CARD]: [{ commits: [{ files: { "src/web/package.json": "{}\n" } }] }] },
    });
    const built = (
      await orchestrator.triggerBuild(cardRequest({}, policyFixture({ protected_paths: [] })))
    )._unsafeUnwrap();
    expect(built.approvals.map((a) => a.approval_type)).toEqual(["create_pr"]);
  });
});
