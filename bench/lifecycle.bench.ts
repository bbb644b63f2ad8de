/**
 * Full card lifecycles on the in-memory ports (trigger → checks → approval → draft PR → merge observed), and
 * the pure core's share: the same decisions made directly through the core functions, no ports. Run with
 * `npm run bench`; figures go to docs/benchmarks.md as ratios measured in one run.
 */
import { bench, describe } from "vitest";
import {
  canCreatePullRequest,
  canRequestApproval,
  createOrchestrator,
  evaluateChanges,
  newCardAssignment,
  newOrchestrationRun,
  transitionAssignment,
  validateRunInputAgainstPolicy,
} from "../src/index.js";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "../src/testing/index.js";
import { runCardLifecycle } from "./card-lifecycle.js";

const request = { ...runInputFixture(), policy: policyFixture() };
const HEAD = "a".repeat(40);
const BASE = "b".repeat(40);

async function lifecycleOnFakes(): Promise<void> {
  const ports = createInMemoryPorts();
  await runCardLifecycle(createOrchestrator(ports), ports.pullRequests, request);
}

function lifecycleInCore(): void {
  const v = validateRunInputAgainstPolicy(runInputFixture(), policyFixture())._unsafeUnwrap();
  const run = newOrchestrationRun(v, {
    run_id: fixtureId(1),
    now: "2026-01-01T00:00:00.000Z",
  })._unsafeUnwrap();
  const card = v.cards[0];
  if (!card) throw new Error("no card");
  let a = newCardAssignment(run, card, { assignment_id: fixtureId(2), now: run.created_at })._unsafeUnwrap();
  const now = run.created_at;
  const step = (e: Parameters<typeof transitionAssignment>[1]) => {
    a = transitionAssignment(a, e, now)._unsafeUnwrap().assignment;
  };
  step({ type: "start_preparing" });
  step({ type: "workspace_ready", worktree_path: "/w", base_sha: BASE });
  step({ type: "dispatch" });
  const changes = evaluateChanges([{ path: "src/a.ts", status: "added" }], a, v.policy)._unsafeUnwrap();
  step({ type: "agent_finished", head_sha: HEAD, path_violations: changes.violations.map((x) => x.path) });
  const checks = v.planned_checks.map((t, i) => ({
    id: fixtureId(10 + i),
    run_id: run.id,
    assignment_id: a.id,
    check_type: t,
    status: "passed" as const,
    output: null,
    executed_at: now,
    head_sha: HEAD,
    duration_ms: 1,
  }));
  canRequestApproval(a, checks, v.policy)._unsafeUnwrap();
  step({ type: "request_approval", checks, policy: v.policy });
  const approval = {
    id: fixtureId(20),
    run_id: run.id,
    assignment_id: a.id,
    approval_type: "create_pr" as const,
    status: "approved" as const,
    requested_by: "system:rungate",
    requested_at: now,
    resolved_by: "alice",
    resolved_at: now,
    notes: null,
    head_sha: HEAD,
    content_digest: null,
    carried_from: null,
    version: 0,
  };
  step({ type: "approval_granted", actor: { type: "user", id: "alice" }, approval });
  canCreatePullRequest(a, [approval], v.policy)._unsafeUnwrap();
  step({ type: "pr_created", approvals: [approval], policy: v.policy, protected_paths: [] });
  step({ type: "pr_merged", actor: { type: "pr_host", id: "bob" } });
}

describe("card lifecycle", () => {
  bench("whole lifecycle on the in-memory ports", lifecycleOnFakes, { time: 3000 });
  bench("the same decisions in the pure core alone", lifecycleInCore, { time: 3000 });
});
