/**
 * Properties of the two lifecycle machines under random event sequences. Every judgement about checks and
 * approvals is made by an oracle written here from the specification (DESIGN.md §2), never by the gates
 * under test.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InvalidTransitionError } from "../../../src/core/errors.js";
import { ApprovalRequest } from "../../../src/core/schemas/approval-request.js";
import { APPROVAL_TYPES, type ApprovalType } from "../../../src/core/schemas/approval-type.js";
import type { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import { CHECK_TYPES, type RunCheckType } from "../../../src/core/schemas/check-type.js";
import type { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import {
  ASSIGNMENT_PHASE_STATUS,
  ASSIGNMENT_PHASES,
  type AssignmentPhase,
  RUN_PHASE_STATUS,
  RUN_PHASES,
  type RunPhase,
} from "../../../src/core/schemas/phases.js";
import type { Actor } from "../../../src/core/schemas/primitives.js";
import { CHECK_STATUSES, RunCheck } from "../../../src/core/schemas/run-check.js";
import type { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";
import {
  ASSIGNMENT_TRANSITIONS,
  type AssignmentEvent,
  type AssignmentEventType,
  TERMINAL_ASSIGNMENT_PHASES,
  transitionAssignment,
} from "../../../src/core/state/assignment-machine.js";
import {
  RUN_TRANSITIONS,
  type RunAssignmentView,
  type RunEventInput,
  type RunEventType,
  TERMINAL_RUN_PHASES,
  transitionRun,
} from "../../../src/core/state/run-machine.js";
import { formatTransitionTable, type TransitionTable } from "../../../src/core/state/transition-table.js";
import {
  ASSIGNMENT_ID,
  at,
  BASE_SHA,
  freezeDeep,
  id,
  makeAssignment,
  makeRun,
  OTHER_ASSIGNMENT_ID,
  OTHER_RUN_ID,
  RUN_ID,
  SECOND_ASSIGNMENT_ID,
  SHA_A,
  SHA_B,
} from "./fixtures.js";

// ---------------------------------------------------------------------------------------------------------
// The oracle: what the specification says, written without the gates.
// ---------------------------------------------------------------------------------------------------------

/** Fails the property with `message` (plain throws keep 10,000 runs fast; `expect` reports the rest). */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** Milliseconds since the epoch; a missing stamp means "still in flight", which is newest. */
function instant(stamp: string | null): number {
  return stamp === null ? Number.POSITIVE_INFINITY : new Date(stamp).getTime();
}

/** The newest record by `stamp` (null = newest); equal stamps go to the one later in the list. */
function newest<T>(records: readonly T[], stamp: (record: T) => string | null): T | undefined {
  const ranked = records.map((record, index) => ({ record, index, time: instant(stamp(record)) }));
  ranked.sort((x, y) => (x.time === y.time ? x.index - y.index : x.time < y.time ? -1 : 1));
  return ranked[ranked.length - 1]?.record;
}

type Subject = Pick<CardAssignment, "id" | "run_id" | "head_sha">;

/**
 * Why the approval gate must stay closed for `subject`, or `null` when it may open: it needs a head, and for
 * each required type the newest result of that assignment (or a run-wide legacy result of its run) on that
 * head must be `passed`.
 */
function checksOracle(
  subject: Subject,
  checks: readonly RunCheck[],
  required: readonly RunCheckType[],
): string | null {
  const head = subject.head_sha;
  if (head === null) return `${subject.id} has no head`;
  for (const type of required) {
    const onHead = checks.filter(
      (c) =>
        c.check_type === type &&
        c.head_sha === head &&
        (c.assignment_id === subject.id || (c.assignment_id === null && c.run_id === subject.run_id)),
    );
    const latest = newest(onHead, (c) => c.executed_at);
    if (latest?.status !== "passed")
      return `${subject.id}: ${type} is ${latest?.status ?? "missing"} on ${head}`;
  }
  return null;
}

/** The run-level approval gate: some assignments, all of this run, each with its checks passed. */
function runGateOracle(
  run: OrchestrationRun,
  e: Extract<RunEventInput, { type: "request_approval" }>,
): string | null {
  if (e.assignments.length === 0) return "no assignments";
  for (const a of e.assignments) {
    if (a.run_id !== run.id) return `${a.id} belongs to another run`;
    const why = checksOracle(a, e.checks, e.policy.required_checks);
    if (why !== null) return why;
  }
  return null;
}

/**
 * The pull-request gate: every needed kind (create_pr, the policy's, the protected-path kind when a protected
 * path changed, and every kind a person was asked for on this head; never merge_pr) has, as its newest decision
 * for this assignment's head, an approval by a person.
 */
function pullRequestOracle(
  a: CardAssignment,
  e: Extract<AssignmentEvent, { type: "pr_created" }>,
): string | null {
  if (a.head_sha === null) return "no head";
  const needed = new Set<ApprovalType>(["create_pr", ...e.policy.approval_policy.required_approvals]);
  if (e.protected_paths.length > 0) needed.add(e.policy.approval_policy.protected_path_approval);
  for (const x of e.approvals) {
    if (x.assignment_id === a.id && x.head_sha === a.head_sha) needed.add(x.approval_type);
  }
  needed.delete("merge_pr");
  for (const kind of needed) {
    const onHead = e.approvals.filter(
      (x) => x.assignment_id === a.id && x.approval_type === kind && x.head_sha === a.head_sha,
    );
    const latest = newest(onHead, (x) => x.resolved_at ?? x.requested_at);
    if (latest === undefined || latest.status !== "approved" || latest.resolved_by === null) {
      return `${kind} is ${latest?.status ?? "missing"}`;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------------------

/** Two heads, the first more often, so records and the results about them usually (not always) agree. */
const shaArb = fc.constantFrom(SHA_A, SHA_A, SHA_B);

/** A few instants, each spelled in UTC or at +01:00, so ties and offsets both occur. */
const stampArb = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.boolean())
  .map(([minute, offset]) =>
    offset ? `2026-01-01T01:0${minute}:00+01:00` : `2026-01-01T00:0${minute}:00.000Z`,
  );

const actorArb: fc.Arbitrary<Actor> = fc.record({
  type: fc.constantFrom<Actor["type"]>("user", "user", "user", "system", "agent", "pr_host"),
  id: fc.constantFrom("user:alice", "agent:coder", "github"),
});

const reasonArb = fc.constantFrom("disk full", "clone failed");
const pathsArb = fc.constantFrom<readonly string[]>(
  [],
  ["src/app.ts"],
  ["migrations/001.sql", "secrets/key.pem"],
);

const checkTypeArb: fc.Arbitrary<RunCheckType> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<RunCheckType>("lint", "unit") },
  { weight: 1, arbitrary: fc.constantFrom(...CHECK_TYPES) },
);

/** A check result on one of the two heads, for one of the real assignments, a foreign one, or run-wide. */
const checkArb: fc.Arbitrary<RunCheck> = fc.record({
  id: fc.constant(id(500)),
  run_id: fc.constantFrom(RUN_ID, RUN_ID, RUN_ID, OTHER_RUN_ID),
  assignment_id: fc.constantFrom<string | null>(
    ASSIGNMENT_ID,
    SECOND_ASSIGNMENT_ID,
    OTHER_ASSIGNMENT_ID,
    null,
  ),
  check_type: checkTypeArb,
  status: fc.oneof(
    { weight: 3, arbitrary: fc.constant("passed" as const) },
    { weight: 2, arbitrary: fc.constantFrom(...CHECK_STATUSES) },
  ),
  output: fc.constant(null),
  executed_at: fc.option(stampArb, { nil: null, freq: 5 }),
  head_sha: shaArb,
  duration_ms: fc.constant(null),
});
const checksArb = fc.array(checkArb, { maxLength: 8 });

/** Required checks: often none or few, sometimes any subset, sometimes with duplicates. */
const requiredChecksArb: fc.Arbitrary<RunCheckType[]> = fc.oneof(
  fc.constant<RunCheckType[]>([]),
  fc.subarray<RunCheckType>(["lint", "unit"]),
  fc.subarray<RunCheckType>([...CHECK_TYPES]),
  fc.array(fc.constantFrom(...CHECK_TYPES), { maxLength: 3 }),
);
const checkPolicyArb: fc.Arbitrary<Pick<SystemPolicyProfile, "required_checks">> = requiredChecksArb.map(
  (required_checks) => ({ required_checks }),
);

/** An approval decision, usually `likely` and plausible, so the guards sometimes pass. */
const approvalArb = (likely: ApprovalRequest["status"]): fc.Arbitrary<ApprovalRequest> =>
  fc.record({
    id: fc.constant(id(600)),
    run_id: fc.constant(RUN_ID),
    assignment_id: fc.oneof(
      { weight: 4, arbitrary: fc.constant(ASSIGNMENT_ID) },
      { weight: 1, arbitrary: fc.constantFrom<string | null>(OTHER_ASSIGNMENT_ID, null) },
    ),
    approval_type: fc.oneof(
      { weight: 3, arbitrary: fc.constant<ApprovalType>("create_pr") },
      { weight: 1, arbitrary: fc.constantFrom(...APPROVAL_TYPES) },
    ),
    status: fc.oneof(
      { weight: 3, arbitrary: fc.constant(likely) },
      { weight: 1, arbitrary: fc.constantFrom<ApprovalRequest["status"]>("approved", "pending", "rejected") },
    ),
    requested_by: fc.constant("rungate"),
    requested_at: stampArb,
    resolved_by: fc.option(fc.constant("user:alice"), { nil: null, freq: 10 }),
    resolved_at: fc.option(stampArb, { nil: null, freq: 4 }),
    content_digest: fc.constant(null),
    carried_from: fc.constant(null),
    notes: fc.constantFrom<string | null>(null, "not yet"),
    head_sha: fc.option(shaArb, { nil: null, freq: 8 }),
    version: fc.constant(0),
  });

/** Approval policies: usually a short list of kinds (merge_pr included), sometimes any subset. */
const approvalPolicyArb: fc.Arbitrary<Pick<SystemPolicyProfile, "approval_policy">> = fc.record({
  approval_policy: fc.record({
    required_approvals: fc.oneof(
      {
        weight: 3,
        arbitrary: fc.constantFrom<ApprovalType[]>([], ["create_pr"], ["merge_pr"], ["code_review"]),
      },
      { weight: 1, arbitrary: fc.subarray<ApprovalType>([...APPROVAL_TYPES]) },
    ),
    protected_path_approval: fc.constantFrom(...APPROVAL_TYPES.filter((t) => t !== "merge_pr")),
    require_independent_approval: fc.constant(false),
    pr_reviewers: fc.constant({ request_approvers: true, teams: [] }),
    pr_labels: fc.constant([]),
  }),
});

/** Protected paths a change touched: usually none. */
const protectedPathsArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant<readonly string[]>([]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<readonly string[]>(["migrations/001.sql"], ["package.json", "infra/main.tf"]),
  },
);

/** A run's view of an assignment, usually in one of the `likely` phases. */
function viewsArb(likely: readonly AssignmentPhase[]): fc.Arbitrary<RunAssignmentView[]> {
  const view: fc.Arbitrary<RunAssignmentView> = fc.record({
    id: fc.constantFrom(ASSIGNMENT_ID, SECOND_ASSIGNMENT_ID, OTHER_ASSIGNMENT_ID),
    run_id: fc.constantFrom(RUN_ID, RUN_ID, RUN_ID, RUN_ID, OTHER_RUN_ID),
    phase: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...likely) },
      { weight: 1, arbitrary: fc.constantFrom(...ASSIGNMENT_PHASES) },
    ),
    head_sha: fc.option(shaArb, { nil: null, freq: 8 }),
  });
  return fc.array(view, { maxLength: 3 });
}

type ArbitraryPerType<E extends { type: string }> = {
  [K in E["type"]]: fc.Arbitrary<Extract<E, { type: K }>>;
};

/** One generator per run event type: the mapped type makes the compiler insist on every member of the union. */
const RUN_EVENT_ARBS: ArbitraryPerType<RunEventInput> = {
  start_preparing: fc.constant({ type: "start_preparing" }),
  workspaces_ready: fc.constantFrom("/work/trees/run-10", "/tmp/w").map((worktree_root) => ({
    type: "workspaces_ready",
    worktree_root,
  })),
  preparation_failed: reasonArb.map((reason) => ({ type: "preparation_failed", reason })),
  agents_finished: viewsArb(["checking", "awaiting_approval", "approved"]).map((assignments) => ({
    type: "agents_finished",
    assignments,
  })),
  request_approval: fc
    .record({
      assignments: viewsArb(["checking", "awaiting_approval"]),
      checks: checksArb,
      policy: checkPolicyArb,
    })
    .map((p) => ({ type: "request_approval", ...p })),
  checks_failed: fc.constant({ type: "checks_failed" }),
  retry_checks: fc.constant({ type: "retry_checks" }),
  redispatch: fc.constant({ type: "redispatch" }),
  approval_granted: fc
    .record({ actor: actorArb, assignments: viewsArb(["approved"]) })
    .map((p) => ({ type: "approval_granted", ...p })),
  approval_rejected: actorArb.map((actor) => ({ type: "approval_rejected", actor })),
  pr_created: viewsArb(["pr_open"]).map((assignments) => ({ type: "pr_created", assignments })),
  pr_merged: fc
    .record({ actor: actorArb, assignments: viewsArb(["merged", "merged", "closed"]) })
    .map((p) => ({ type: "pr_merged", ...p })),
  pr_closed: fc
    .record({ actor: actorArb, assignments: viewsArb(["closed"]) })
    .map((p) => ({ type: "pr_closed", ...p })),
  new_commit: fc.constant({ type: "new_commit" }),
  cancel: actorArb.map((actor) => ({ type: "cancel", actor })),
  fail: reasonArb.map((reason) => ({ type: "fail", reason })),
};

/** One generator per assignment event type, likewise exhaustive. */
const ASSIGNMENT_EVENT_ARBS: ArbitraryPerType<AssignmentEvent> = {
  start_preparing: fc.constant({ type: "start_preparing" }),
  workspace_ready: fc
    .record({ worktree_path: fc.constantFrom("/work/trees/card-30", "/tmp/wt"), base_sha: shaArb })
    .map((p) => ({ type: "workspace_ready", ...p })),
  agent_interrupted: fc.constant({ type: "agent_interrupted" }),
  preparation_failed: reasonArb.map((reason) => ({ type: "preparation_failed", reason })),
  dispatch: fc.constant({ type: "dispatch" }),
  agent_finished: fc
    .record({ head_sha: shaArb, path_violations: pathsArb })
    .map((p) => ({ type: "agent_finished", ...p })),
  path_violation: fc
    .record({ head_sha: fc.option(shaArb, { nil: null }), path_violations: pathsArb })
    .map((p) => ({ type: "path_violation", ...p })),
  agent_failed: reasonArb.map((reason) => ({ type: "agent_failed", reason })),
  request_approval: fc
    .record({ checks: checksArb, policy: checkPolicyArb })
    .map((p) => ({ type: "request_approval", ...p })),
  checks_failed: fc.constant({ type: "checks_failed" }),
  retry_checks: fc.constant({ type: "retry_checks" }),
  redispatch: fc.constant({ type: "redispatch" }),
  approval_granted: fc
    .record({ actor: actorArb, approval: approvalArb("approved") })
    .map((p) => ({ type: "approval_granted", ...p })),
  approval_rejected: fc
    .record({ actor: actorArb, approval: approvalArb("rejected") })
    .map((p) => ({ type: "approval_rejected", ...p })),
  pr_created: fc
    .record({
      approvals: fc.array(approvalArb("approved"), { maxLength: 5 }),
      policy: approvalPolicyArb,
      protected_paths: protectedPathsArb,
    })
    .map((p) => ({ type: "pr_created", ...p })),
  pr_merged: actorArb.map((actor) => ({ type: "pr_merged", actor })),
  pr_closed: actorArb.map((actor) => ({ type: "pr_closed", actor })),
  new_commit: shaArb.map((head_sha) => ({ type: "new_commit", head_sha })),
  cancel: actorArb.map((actor) => ({ type: "cancel", actor })),
  fail: reasonArb.map((reason) => ({ type: "fail", reason })),
};

/** Events that end a record come less often, so sequences live long enough to go deep. */
const ENDING_EVENTS = new Set(["cancel", "fail", "preparation_failed", "agent_failed", "path_violation"]);

function eventArb<E extends { type: string }>(perType: ArbitraryPerType<E>): fc.Arbitrary<E> {
  const arbs = Object.entries(perType) as [string, fc.Arbitrary<E>][];
  return fc.oneof(
    ...arbs.map(([type, arbitrary]) => ({ weight: ENDING_EVENTS.has(type) ? 1 : 4, arbitrary })),
  );
}

const runEventArb = eventArb(RUN_EVENT_ARBS);
const assignmentEventArb = eventArb(ASSIGNMENT_EVENT_ARBS);

/** A starting run in every phase, deep-frozen so any mutation by the machine throws. */
const RUN_IN_PHASE = Object.fromEntries(
  RUN_PHASES.map((phase) => [
    phase,
    freezeDeep(
      makeRun({
        phase,
        started_at: phase === "queued" ? null : at(0),
        ended_at: TERMINAL_RUN_PHASES.includes(phase) ? at(1) : null,
      }),
    ),
  ]),
) as Record<RunPhase, OrchestrationRun>;

/** A starting assignment in every phase, with no head or either head, deep-frozen. */
const assignmentStartArb: fc.Arbitrary<CardAssignment> = fc
  .tuple(fc.constantFrom(...ASSIGNMENT_PHASES), fc.constantFrom<string | null>(null, SHA_A, SHA_B))
  .map(([phase, head]) =>
    freezeDeep(
      makeAssignment({ phase, head_sha: head, base_sha: BASE_SHA, worktree_path: "/work/trees/card-30" }),
    ),
  );

// ---------------------------------------------------------------------------------------------------------
// Shared judgement of one step
// ---------------------------------------------------------------------------------------------------------

/** Checks a refusal's shape against the table: right state, event and allowed events; code by row existence. */
function checkRefusal<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  state: S,
  eventType: E,
  error: InvalidTransitionError,
): void {
  const allowed = [...new Set(table.filter((r) => r.from === state).map((r) => r.event))];
  const candidates = table.filter((r) => r.from === state && r.event === eventType);
  check(error.kind === "invalid_transition", () => `refusal of kind ${error.kind}`);
  check(
    error.detail.state === state && error.detail.event === eventType,
    () => `refusal names the wrong move`,
  );
  check(
    JSON.stringify(error.detail.allowed_events) === JSON.stringify(allowed),
    () => `allowed_events ${error.detail.allowed_events} differ from the table's ${allowed}`,
  );
  if (candidates.length === 0) {
    check(error.code === "not_allowed", () => `${state} + ${eventType} has no row but was ${error.code}`);
  } else {
    check(error.code === "guard_refused", () => `${state} + ${eventType} has a row but was ${error.code}`);
    check(
      candidates.every((r) => r.guard !== null),
      () => `${state} + ${eventType} has an unguarded row yet was refused`,
    );
    check(
      (error.detail.reasons?.length ?? 0) > 0 && candidates.some((r) => r.guard === error.detail.guard),
      () => `guard refusal without reasons or with an unknown guard ${error.detail.guard}`,
    );
  }
}

/** Checks that an accepted move is a row of the table (from, event, to). */
function checkRow<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  from: S,
  event: E,
  to: S,
): void {
  check(
    table.some((r) => r.from === from && r.event === event && r.to === to),
    () => `${from} --${event}--> ${to} is not a row of the table`,
  );
}

/** Counts per `from --event--> to`, to show the generators reach every row. */
function coverage(): { taken: Map<string, number>; note(from: string, event: string, to: string): void } {
  const taken = new Map<string, number>();
  return {
    taken,
    note(from, event, to) {
      const key = `${from} --${event}--> ${to}`;
      taken.set(key, (taken.get(key) ?? 0) + 1);
    },
  };
}

/** Rows of `table` taken fewer than 10 times (each is taken about 50 times or more with these generators). */
function rarelyTaken<S extends string, E extends string>(
  table: TransitionTable<S, E>,
  taken: ReadonlyMap<string, number>,
): string[] {
  const keys = [...new Set(table.map((r) => `${r.from} --${r.event}--> ${r.to}`))];
  return keys.filter((key) => (taken.get(key) ?? 0) < 10);
}

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

// 10,000 sequences take ~2 s on a quiet machine and several times that on a loaded one: a budget that
// scales with the work (about 3 ms a sequence), not vitest's default 5 s, which failed under load.
const SEQUENCES_BUDGET_MS = 30_000;

describe("run lifecycle under random events", () => {
  it(
    "keeps the gate, user-only approval, terminal, status and table invariants",
    () => {
      const seen = coverage();
      fc.assert(
        fc.property(
          fc.constantFrom(...RUN_PHASES),
          fc.array(runEventArb, { minLength: 1, maxLength: 40, size: "max" }),
          (start, events) => {
            let run = RUN_IN_PHASE[start];
            let terminalSnapshot: string | null = TERMINAL_RUN_PHASES.includes(run.phase)
              ? JSON.stringify(run)
              : null;
            events.forEach((event, step) => {
              const now = at(100 + step);
              // (f) a throw here fails the property.
              const result = transitionRun(run, event, now);

              if (run.phase === "checking" && event.type === "request_approval") {
                const closed = runGateOracle(run, event);
                check(
                  result.isOk() === (closed === null),
                  () => `gate decision differs from oracle: ${closed}`,
                );
              }

              if (result.isErr()) {
                checkRefusal(RUN_TRANSITIONS, run.phase, event.type, result.error);
                return;
              }
              // (c) a terminal run accepts nothing.
              check(terminalSnapshot === null, () => `terminal ${run.phase} accepted ${event.type}`);

              const { run: next, from, to } = result.value;
              seen.note(from, event.type, to);
              // (e) the move is a row of the table.
              check(from === run.phase && next.phase === to, () => `from/to disagree with the records`);
              checkRow(RUN_TRANSITIONS, from, event.type, to);
              // (d) status follows phase.
              check(next.status === RUN_PHASE_STATUS[to], () => `status ${next.status} for phase ${to}`);
              check(next.updated_at === now && next.started_at !== null, () => `timestamps not written`);
              check(
                next.ended_at === (TERMINAL_RUN_PHASES.includes(to) ? now : null),
                () => `ended_at ${next.ended_at} in ${to}`,
              );
              check(next.id === run.id && next.version === run.version, () => `identity or version changed`);
              // (a) awaiting_approval only through an open gate for every assignment of the event.
              if (to === "awaiting_approval") {
                check(event.type === "request_approval", () => `entered awaiting_approval on ${event.type}`);
                if (event.type === "request_approval") {
                  const closed = runGateOracle(run, event);
                  check(closed === null, () => `entered awaiting_approval although ${closed}`);
                }
              }
              // (b) approved only by a user.
              if (to === "approved") {
                check(
                  event.type === "approval_granted" && event.actor.type === "user",
                  () =>
                    `entered approved on ${event.type} by ${"actor" in event ? event.actor.type : "nobody"}`,
                );
              }
              run = freezeDeep(next);
              if (TERMINAL_RUN_PHASES.includes(to)) terminalSnapshot = JSON.stringify(run);
            });
            // (c) the terminal record is unchanged by everything after it.
            if (terminalSnapshot !== null)
              check(JSON.stringify(run) === terminalSnapshot, () => "terminal run changed");
          },
        ),
        { numRuns: 10_000 },
      );
      // The generators took every row of the table many times, so none of the above held vacuously.
      expect(rarelyTaken(RUN_TRANSITIONS, seen.taken)).toEqual([]);
    },
    SEQUENCES_BUDGET_MS,
  );
});

describe("assignment lifecycle under random events", () => {
  it(
    "keeps the gate, user-only approval, terminal, status and table invariants",
    () => {
      const seen = coverage();
      fc.assert(
        fc.property(
          assignmentStartArb,
          fc.array(assignmentEventArb, { minLength: 1, maxLength: 40, size: "max" }),
          (start, events) => {
            let assignment = start;
            let terminalSnapshot: string | null = TERMINAL_ASSIGNMENT_PHASES.includes(assignment.phase)
              ? JSON.stringify(assignment)
              : null;
            events.forEach((event, step) => {
              const now = at(100 + step);
              // (f) a throw here fails the property.
              const result = transitionAssignment(assignment, event, now);

              if (assignment.phase === "checking" && event.type === "request_approval") {
                const closed = checksOracle(assignment, event.checks, event.policy.required_checks);
                check(
                  result.isOk() === (closed === null),
                  () => `gate decision differs from oracle: ${closed}`,
                );
              }
              if (assignment.phase === "approved" && event.type === "pr_created") {
                const closed = pullRequestOracle(assignment, event);
                check(
                  result.isOk() === (closed === null),
                  () => `PR gate decision differs from oracle: ${closed}`,
                );
              }

              if (result.isErr()) {
                checkRefusal(ASSIGNMENT_TRANSITIONS, assignment.phase, event.type, result.error);
                return;
              }
              // (c) a terminal assignment accepts nothing.
              check(terminalSnapshot === null, () => `terminal ${assignment.phase} accepted ${event.type}`);

              const { assignment: next, from, to } = result.value;
              seen.note(from, event.type, to);
              // (e) the move is a row of the table.
              check(
                from === assignment.phase && next.phase === to,
                () => `from/to disagree with the records`,
              );
              checkRow(ASSIGNMENT_TRANSITIONS, from, event.type, to);
              // (d) status follows phase.
              check(
                next.status === ASSIGNMENT_PHASE_STATUS[to],
                () => `status ${next.status} for phase ${to}`,
              );
              check(next.updated_at === now, () => `updated_at not written`);
              check(
                next.id === assignment.id && next.version === assignment.version,
                () => `identity changed`,
              );
              const expectedHead =
                event.type === "agent_finished" || event.type === "new_commit"
                  ? event.head_sha
                  : event.type === "path_violation" && event.head_sha !== null
                    ? event.head_sha
                    : assignment.head_sha;
              check(next.head_sha === expectedHead, () => `head ${next.head_sha} after ${event.type}`);
              if (event.type === "new_commit") {
                check(event.head_sha !== assignment.head_sha, () => `new_commit accepted without a new head`);
              }
              // (a) awaiting_approval only with every required check passed on this head.
              if (to === "awaiting_approval") {
                check(event.type === "request_approval", () => `entered awaiting_approval on ${event.type}`);
                if (event.type === "request_approval") {
                  const closed = checksOracle(assignment, event.checks, event.policy.required_checks);
                  check(closed === null, () => `entered awaiting_approval although ${closed}`);
                }
              }
              // (b) approved only by a user, with that user's approval of this very head.
              if (to === "approved") {
                check(event.type === "approval_granted", () => `entered approved on ${event.type}`);
                if (event.type === "approval_granted") {
                  const { actor, approval } = event;
                  check(actor.type === "user", () => `approved by ${actor.type}`);
                  check(
                    approval.status === "approved" &&
                      approval.resolved_by !== null &&
                      approval.assignment_id === assignment.id &&
                      approval.head_sha !== null &&
                      approval.head_sha === assignment.head_sha,
                    () => `approved with ${JSON.stringify(approval)} at head ${assignment.head_sha}`,
                  );
                }
              }
              // A draft PR only through an open pull-request gate.
              if (to === "pr_open") {
                check(event.type === "pr_created", () => `entered pr_open on ${event.type}`);
                if (event.type === "pr_created") {
                  const closed = pullRequestOracle(assignment, event);
                  check(closed === null, () => `entered pr_open although ${closed}`);
                }
              }
              assignment = freezeDeep(next);
              if (TERMINAL_ASSIGNMENT_PHASES.includes(to)) terminalSnapshot = JSON.stringify(assignment);
            });
            if (terminalSnapshot !== null) {
              check(JSON.stringify(assignment) === terminalSnapshot, () => "terminal assignment changed");
            }
          },
        ),
        { numRuns: 10_000 },
      );
      expect(rarelyTaken(ASSIGNMENT_TRANSITIONS, seen.taken)).toEqual([]);
    },
    SEQUENCES_BUDGET_MS,
  );
});

describe("the generators", () => {
  it("produce records the schemas accept unchanged", () => {
    fc.assert(
      fc.property(checkArb, approvalArb("pending"), (check, approval) => {
        expect(RunCheck.parse(check)).toEqual(check);
        expect(ApprovalRequest.parse(approval)).toEqual(approval);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// The tables as data
// ---------------------------------------------------------------------------------------------------------

describe.each([
  {
    machine: "run",
    table: RUN_TRANSITIONS as TransitionTable<string, string>,
    phases: RUN_PHASES as readonly string[],
    terminal: TERMINAL_RUN_PHASES as readonly string[],
    events: Object.keys(RUN_EVENT_ARBS) as RunEventType[] as string[],
  },
  {
    machine: "assignment",
    table: ASSIGNMENT_TRANSITIONS as TransitionTable<string, string>,
    phases: ASSIGNMENT_PHASES as readonly string[],
    terminal: TERMINAL_ASSIGNMENT_PHASES as readonly string[],
    events: Object.keys(ASSIGNMENT_EVENT_ARBS) as AssignmentEventType[] as string[],
  },
])("the $machine transition table", ({ table, phases, terminal, events }) => {
  it("prints one line per row under a header, each naming from, event, to and guard", () => {
    const lines = formatTransitionTable(table).split("\n");
    expect(lines).toHaveLength(table.length + 2);
    expect(lines[0]).toBe("| from | event | to | guard |");
    table.forEach((row, i) => {
      const cells = (lines[i + 2] ?? "").split("|").map((cell) => cell.trim());
      expect(cells).toEqual(["", row.from, row.event, row.to, row.guard ?? "", ""]);
    });
  });

  it("uses only known phases and events, and every event appears in it", () => {
    for (const row of table) {
      expect(phases).toContain(row.from);
      expect(phases).toContain(row.to);
      expect(events).toContain(row.event);
    }
    expect(new Set(table.map((row) => row.event))).toEqual(new Set(events));
  });

  it("leaves no phase stranded: terminal phases have no rows, every other phase has one and accepts cancel", () => {
    for (const phase of phases) {
      const outgoing = table.filter((row) => row.from === phase);
      if (terminal.includes(phase)) {
        expect(outgoing, phase).toEqual([]);
      } else {
        expect(outgoing.length, phase).toBeGreaterThan(0);
        expect(
          outgoing.some((row) => row.event === "cancel" && row.to === "cancelled"),
          phase,
        ).toBe(true);
      }
    }
    for (const phase of terminal) expect(phases).toContain(phase);
  });

  it("reaches every phase from queued", () => {
    const reached = new Set(["queued"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const row of table) {
        if (reached.has(row.from) && !reached.has(row.to)) {
          reached.add(row.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...phases].sort());
  });
});
