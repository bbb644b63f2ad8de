/**
 * `npm run demo:core`: one card goes through every gate of rungate's core, and a second card is stopped by the
 * path rules. Every decision is printed as it is made. Pure core only, no ports: `npm run demo` runs the
 * same lifecycle on a real repository.
 */
import {
  type ApprovalRequest,
  type AssignmentEvent,
  canCreatePullRequest,
  canRequestApproval,
  evaluateChanges,
  newCardAssignment,
  newOrchestrationRun,
  type RunCheck,
  type RunEventInput,
  type RungateError,
  SystemPolicyProfile,
  transitionAssignment,
  transitionRun,
  validateRunInputAgainstPolicy,
  verifyRunSnapshots,
} from "rungate";
import { fixtureId, policyFixture, runInputFixture } from "rungate/testing";

let clock = Date.parse("2026-11-27T09:00:00.000Z");
const now = () => {
  clock += 1000;
  return new Date(clock).toISOString();
};
const say = (icon: string, text: string) => console.log(`${icon} ${text}`);
const fail = (error: RungateError): never => {
  console.error(`unexpected: ${error.message}`);
  process.exit(1);
};

say("#", "rungate demo: the pure core deciding a card's whole lifecycle");
const policyInput = policyFixture({ required_checks: ["policy", "lint", "unit"] });
const policy = SystemPolicyProfile.parse(policyInput);
say(
  "·",
  `policy: required checks ${policy.required_checks.join(", ")}; forbidden ${policy.forbidden_paths.join(", ")}; protected ${policy.protected_paths.join(", ")}`,
);

// 1. A careless run input is refused with every violation named.
const careless = validateRunInputAgainstPolicy(
  runInputFixture({
    scope: "workflow",
    planned_checks: ["lint", "fuzz"],
    cards: [
      {
        card_id: fixtureId(100),
        title: "Touch everything",
        allowed_paths: ["../etc/**", "secrets/**"],
        feature_branch: "feat;rm -rf",
      },
    ],
  }),
  policyInput,
);
if (careless.isOk()) throw new Error("the careless input should have been refused");
say("✗", `careless run input refused (${careless.error.kind}):`);
if (careless.error.kind === "policy_violation") {
  for (const v of careless.error.detail.violations) say("   -", `${v.code}: ${v.message}`);
}

// 2. Two card runs are accepted and their snapshots frozen: card B's agent will misbehave, card A's won't.
const cardA = fixtureId(100);
const cardB = fixtureId(101);
const accept = (cardId: string, title: string, allowed: string[], runNo: number) => {
  const validated = validateRunInputAgainstPolicy(
    runInputFixture({ card_id: cardId, cards: [{ card_id: cardId, title, allowed_paths: allowed }] }),
    policyInput,
  ).match((v) => v, fail);
  const run = newOrchestrationRun(validated, { run_id: fixtureId(1000 + runNo), now: now() }).match(
    (r) => r,
    fail,
  );
  const [card] = validated.cards;
  if (card === undefined) throw new Error("a card run has one card");
  const assignment = newCardAssignment(run, card, {
    assignment_id: fixtureId(2000 + runNo),
    now: now(),
  }).match((x) => x, fail);
  say(
    "✓",
    `run ${runNo} accepted for "${title}": branch ${assignment.feature_branch}, allowed ${assignment.allowed_paths.join(", ")}`,
  );
  return { run, assignment };
};
const runs = {
  A: accept(cardA, "Add a cart total", ["src/cart/**", "test/cart/**"], 1),
  B: accept(cardB, "Tidy the config loader", ["src/config/**"], 2),
};
type Card = keyof typeof runs;
say("·", `run 1 policy snapshot ${runs.A.run.snapshot_hashes?.system_policy.slice(0, 19)}…`);
try {
  (runs.A.run.system_policy_snapshot as Record<string, unknown>).forbidden_paths = [];
} catch (e) {
  say(
    "✓",
    `snapshots are immutable: ${(e as Error).constructor.name} on write; verify → ${verifyRunSnapshots(runs.A.run).isOk() ? "hash matches" : "MISMATCH"}`,
  );
}

const stepRun = (card: Card, event: RunEventInput) => {
  const r = transitionRun(runs[card].run, event, now());
  if (r.isErr()) return say("✗", `run ${card} refuses ${event.type}: ${r.error.message}`);
  runs[card].run = r.value.run;
  say("→", `run ${card}: ${r.value.from} → ${r.value.to} (${r.value.run.status})`);
};
const step = (card: Card, event: AssignmentEvent): boolean => {
  const r = transitionAssignment(runs[card].assignment, event, now());
  if (r.isErr()) {
    say("✗", `card ${card} refuses ${event.type}: ${r.error.message}`);
    return false;
  }
  runs[card].assignment = r.value.assignment;
  say("→", `card ${card}: ${r.value.from} → ${r.value.to} (${r.value.assignment.status})`);
  return true;
};
const view = (card: Card) => [runs[card].assignment];

for (const card of ["A", "B"] as const) {
  stepRun(card, { type: "start_preparing" });
  step(card, { type: "start_preparing" });
  step(card, {
    type: "workspace_ready",
    worktree_path: `/tmp/rungate/worktrees/${card}`,
    base_sha: "1111111111111111111111111111111111111111",
  });
  stepRun(card, { type: "workspaces_ready", worktree_root: "/tmp/rungate/repos/shop" });
  step(card, { type: "dispatch" });
}

// 3. Card B's agent also wrote a forbidden file: the path rules judge what it actually changed.
const bChanges = evaluateChanges(
  [
    { path: "src/config/load.ts", status: "modified" },
    { path: "src/config/.env", status: "added" },
  ],
  runs.B.assignment,
  policy,
).match((x) => x, fail);
for (const v of bChanges.violations) say("✗", `card B changed ${v.path}: ${v.verdict} by "${v.rule}"`);
step("B", {
  type: "agent_finished",
  head_sha: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  path_violations: bChanges.violations.map((v) => v.path),
});
step("B", {
  type: "path_violation",
  head_sha: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  path_violations: bChanges.violations.map((v) => v.path),
});
stepRun("B", {
  type: "fail",
  reason: `card B changed forbidden paths: ${bChanges.violations.map((v) => v.path).join(", ")}`,
});

// 4. Card A stays inside its paths.
const head1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const aChanges = evaluateChanges(
  [
    { path: "src/cart/total.ts", status: "added" },
    { path: "test/cart/total.test.ts", status: "added" },
  ],
  runs.A.assignment,
  policy,
).match((x) => x, fail);
say(
  aChanges.ok ? "✓" : "✗",
  `card A changes: ${aChanges.files.map((f) => `${f.path} ${f.verdict}`).join(", ")}`,
);
step("A", { type: "agent_finished", head_sha: head1, path_violations: [] });
stepRun("A", { type: "agents_finished", assignments: view("A") });

// 5. Checks: unit fails first, so the approval gate stays shut.
let checkSeq = 0;
const check = (type: RunCheck["check_type"], status: RunCheck["status"], head: string): RunCheck => ({
  id: fixtureId(3000 + checkSeq++),
  run_id: runs.A.run.id,
  assignment_id: runs.A.assignment.id,
  check_type: type,
  status,
  output: null,
  executed_at: now(),
  head_sha: head,
  duration_ms: 42,
});
const checks: RunCheck[] = [
  check("policy", "passed", head1),
  check("lint", "passed", head1),
  check("unit", "failed", head1),
];
say("·", `checks on ${head1.slice(0, 7)}: ${checks.map((c) => `${c.check_type}=${c.status}`).join(", ")}`);
const gate1 = canRequestApproval(runs.A.assignment, checks, policy);
say(gate1.isOk() ? "✓" : "✗", `approval gate: ${gate1.isOk() ? "open" : gate1.error.message}`);
stepRun("A", { type: "request_approval", assignments: view("A"), checks, policy });
step("A", { type: "checks_failed" });
stepRun("A", { type: "checks_failed" });
step("A", { type: "retry_checks" });
stepRun("A", { type: "retry_checks" });
checks.push(check("unit", "passed", head1));
say("·", "unit re-run on the same head: passed");
say(
  "✓",
  `approval gate: ${canRequestApproval(runs.A.assignment, checks, policy).isOk() ? "open" : "closed"}`,
);
step("A", { type: "request_approval", checks, policy });
stepRun("A", { type: "request_approval", assignments: view("A"), checks, policy });

// 6. Only a person approves; the PR gate then opens for exactly this head.
const approval = (status: ApprovalRequest["status"], by: string | null): ApprovalRequest => ({
  id: fixtureId(4000),
  run_id: runs.A.run.id,
  assignment_id: runs.A.assignment.id,
  approval_type: "create_pr",
  status,
  requested_by: "system:rungate",
  requested_at: now(),
  resolved_by: by,
  resolved_at: by === null ? null : now(),
  notes: by === null ? null : "Looks right.",
  head_sha: head1,
  content_digest: null,
  carried_from: null,
  version: 0,
});
say(
  "·",
  `PR gate before any decision: ${canCreatePullRequest(
    runs.A.assignment,
    [approval("pending", null)],
    policy,
  ).match(
    () => "open",
    (e) => e.message,
  )}`,
);
const granted = approval("approved", "alice");
step("A", { type: "approval_granted", actor: { type: "agent", id: "coder" }, approval: granted });
step("A", { type: "approval_granted", actor: { type: "user", id: "alice" }, approval: granted });
stepRun("A", { type: "approval_granted", actor: { type: "user", id: "alice" }, assignments: view("A") });
say(
  "✓",
  `PR gate: ${canCreatePullRequest(runs.A.assignment, [granted], policy).match(
    () => "open",
    (e) => e.message,
  )}`,
);
step("A", { type: "pr_created", approvals: [granted], policy, protected_paths: aChanges.protected_paths });
stepRun("A", { type: "pr_created", assignments: view("A") });
say("·", "rungate has no merge: the draft PR waits for a person; the PR host reports that alice merged it");
step("A", { type: "pr_merged", actor: { type: "pr_host", id: "local" } });
stepRun("A", { type: "pr_merged", actor: { type: "pr_host", id: "local" }, assignments: view("A") });

console.log("\nsummary");
console.table(
  (["A", "B"] as const).map((card) => ({
    card,
    run: `${runs[card].run.phase}/${runs[card].run.status}`,
    assignment: `${runs[card].assignment.phase}/${runs[card].assignment.status}`,
    head: runs[card].assignment.head_sha?.slice(0, 7) ?? "",
    snapshots: verifyRunSnapshots(runs[card].run).isOk() ? "verified" : "MISMATCH",
  })),
);
