import { describe, expect, it } from "vitest";
import { SystemPolicyProfile } from "../../src/core/schemas/system-policy-profile.js";
import {
  ASSIGNMENT_STATUS_PHASE,
  convertDossier,
  EXECUTION_STATUS,
  importDossier,
  RUN_STATUS_PHASE,
} from "../../src/dossier/index.js";
import { createInMemoryStorage } from "../../src/testing/fakes/in-memory-storage.js";
import {
  A1,
  A2,
  A3,
  A4,
  CARD_1,
  PROFILE,
  PROJECT,
  RUN_CARD,
  RUN_FAILED,
  RUN_WORKFLOW,
  referenceExport,
  u,
} from "./reference-export.js";

const CASE =
  "the same paths, but rungate's forbidden and protected globs ignore case: it also covers paths that differ only by case";
const POLICY_RULES = [
  ["protected_paths[0]", "package.json", ["**/*package.json*", "**/*package.json*/**"]],
  ["protected_paths[1]", "migrations/", ["**/*migrations/*", "**/*migrations/*/**"]],
  ["forbidden_paths[0]", ".env", ["**/*.env*", "**/*.env*/**"]],
  ["forbidden_paths[1]", "secrets", ["**/*secrets*", "**/*secrets*/**"]],
] as const;
const FORBIDDEN_GLOBS = ["**/*.env*", "**/*.env*/**", "**/*secrets*", "**/*secrets*/**"];

/** The report's rules, one line each: table, row, field, from, to, meaning. */
const expectedRules = [
  ...POLICY_RULES.map(([field, from, to]) => ["system_policy_profile", PROFILE, field, from, to]),
  ...POLICY_RULES.map(([field, from, to]) => [
    "orchestration_run",
    RUN_CARD,
    `system_policy_snapshot.${field}`,
    from,
    to,
  ]),
  // The workflow run's snapshot has `forbidden_paths: null`: no forbidden rule to convert.
  ...POLICY_RULES.slice(0, 2).map(([field, from, to]) => [
    "orchestration_run",
    RUN_WORKFLOW,
    `system_policy_snapshot.${field}`,
    from,
    to,
  ]),
  ...POLICY_RULES.map(([field, from, to]) => [
    "orchestration_run",
    RUN_FAILED,
    `system_policy_snapshot.${field}`,
    from,
    to,
  ]),
  ["card_assignment", A2, "forbidden_paths[0]", "Stripe", ["**/*Stripe*", "**/*Stripe*/**"]],
].map((line) => [...line, "case_insensitive"]);

describe("import from the reference system", () => {
  it("converts realistic reference rows with a report of everything that did not carry over as it was", () => {
    const converted = convertDossier(referenceExport());
    expect(converted.isOk()).toBe(true);
    if (converted.isErr()) return;
    const { report } = converted.value;
    expect(report.carried).toEqual({
      policies: 1,
      runs: 3,
      assignments: 4,
      executions: 4,
      commits: 1,
      checks: 3,
      approvals: 2,
      pull_requests: 1,
      events: 3,
    });
    expect(report.skipped).toEqual([
      {
        table: "orchestration_run",
        row_id: u(40),
        reason: 'malformed: created_at: "yesterday" is not a time (ISO 8601 or YYYY-MM-DD HH:MM:SS)',
      },
      { table: "card_assignment", row_id: u(99), reason: `its run ${u(40)} was not carried over` },
      { table: "agent_execution", row_id: u(98), reason: `its assignment ${u(99)} was not carried over` },
      {
        table: "run_check",
        row_id: u(27),
        reason:
          'malformed: check_type: Invalid option: expected one of "dependency"|"security"|"policy"|"lint"|"unit"|"integration"|"e2e"',
      },
      { table: "event_log", row_id: u(51), reason: "malformed: payload: is text that is not valid JSON" },
      {
        table: "event_log",
        row_id: u(52),
        reason: "a project-level event (no run): rungate's events belong to a run",
      },
      {
        table: "event_log",
        row_id: u(53),
        reason: "a project-level event (no run): rungate's events belong to a run",
      },
    ]);
    expect(report.changed).toEqual([
      {
        table: "orchestration_run",
        row_id: RUN_WORKFLOW,
        field: "phase",
        from: "blocked",
        to: "checks_failed",
        reason: RUN_STATUS_PHASE.blocked.loses,
      },
      {
        table: "card_assignment",
        row_id: A1,
        field: "allowed_paths[0]",
        from: "src/app/[id]/page.tsx",
        to: ["src/app/[[]id]/page.tsx"],
        reason:
          "the reference compared allowed paths as plain names; rungate reads globs, so glob characters are escaped (and a leading `/` dropped) to match the same name",
      },
      {
        table: "card_assignment",
        row_id: A1,
        field: "phase",
        from: "completed",
        to: "merged",
        reason: ASSIGNMENT_STATUS_PHASE.completed.loses,
      },
      {
        table: "card_assignment",
        row_id: A2,
        field: "phase",
        from: "blocked",
        to: "checks_failed",
        reason: ASSIGNMENT_STATUS_PHASE.blocked.loses,
      },
      {
        table: "agent_execution",
        row_id: u(23),
        field: "status",
        from: "blocked",
        to: "interrupted",
        reason: EXECUTION_STATUS.blocked.loses,
      },
    ]);
    expect(report.rules.map((r) => [r.table, r.row_id, r.field, r.from, r.to, r.meaning])).toEqual(
      expectedRules,
    );
    expect(report.rules.every((r) => r.reason === CASE)).toBe(true);
    expect(report.dropped_fields).toEqual([
      {
        table: "orchestration_run",
        field: "legacy_note",
        rows: 1,
        reason:
          "a column this importer does not know (a newer or modified reference); rungate has no field for it",
      },
      {
        table: "run_check",
        field: "created_at",
        rows: 3,
        reason: "rungate keeps when a check ran (`executed_at`), not when its row was written",
      },
      {
        table: "approval_request",
        field: "created_at",
        rows: 2,
        reason: "rungate keeps `requested_at` and `resolved_at`, not when the row was written",
      },
      {
        table: "approval_request",
        field: "updated_at",
        rows: 2,
        reason: "rungate keeps `requested_at` and `resolved_at`, not when the row was written",
      },
    ]);
    expect(report.ignored_tables).toEqual([
      {
        table: "card",
        rows: 1,
        reason:
          "not an orchestration table of the reference: rungate keeps no planning, project or memory data",
      },
    ]);
  });

  it("imports into storage, and everything reads back through the port with its snapshots verified", async () => {
    const storage = createInMemoryStorage();
    const outcome = await importDossier(storage, referenceExport());
    expect(outcome.isOk()).toBe(true);
    if (outcome.isErr()) return;
    expect(outcome.value.written).toEqual({
      runs: 3,
      assignments: 4,
      executions: 4,
      commits: 1,
      checks: 3,
      approvals: 2,
      pull_requests: 1,
      events: 3,
    });
    expect(outcome.value.already_present).toEqual([]);
    expect(outcome.value.policies.map((p) => [p.id, p.project_id, p.forbidden_paths])).toEqual([
      [PROFILE, PROJECT, FORBIDDEN_GLOBS],
    ]);

    // getRun verifies both snapshot hashes; the policy snapshot is a whole rungate policy again.
    const run = (await storage.getRun(RUN_CARD))._unsafeUnwrap();
    expect(run).toMatchObject({
      status: "completed",
      phase: "completed",
      created_at: "2026-02-18T09:30:00Z",
      ended_at: "2026-02-18T10:02:11Z",
      started_at: "2026-02-18T09:30:02.000Z",
      card_id: CARD_1,
      system_policy_profile_id: PROFILE,
    });
    const policy = SystemPolicyProfile.parse(run.system_policy_snapshot);
    expect(policy).toMatchObject({
      id: PROFILE,
      project_id: PROJECT,
      updated_at: "2026-01-05T08:00:00Z",
      forbidden_paths: FORBIDDEN_GLOBS,
    });
    expect((await storage.getRun(RUN_WORKFLOW))._unsafeUnwrap()).toMatchObject({
      status: "blocked",
      phase: "checks_failed",
    });
    expect((await storage.getRun(RUN_FAILED))._unsafeUnwrap()).toMatchObject({
      started_at: "2026-02-20T11:00:00.000+01:00",
      phase: "failed",
    });

    const [a1] = (await storage.listAssignments(RUN_CARD))._unsafeUnwrap();
    expect(a1).toMatchObject({
      id: A1,
      status: "completed",
      phase: "merged",
      allowed_paths: ["src/app/[[]id]/page.tsx", "src/lib/db.ts"],
      forbidden_paths: FORBIDDEN_GLOBS,
      created_at: "2026-02-18T09:30:01Z",
    });
    expect(a1?.assignment_input_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const workflowCards = (await storage.listAssignments(RUN_WORKFLOW))._unsafeUnwrap();
    expect(workflowCards.map((a) => [a.id, a.phase, a.forbidden_paths])).toEqual([
      [A2, "checks_failed", ["**/*Stripe*", "**/*Stripe*/**"]],
      [A3, "agent_running", []],
    ]);
    expect((await storage.getAssignment(A4))._unsafeUnwrap().phase).toBe("failed");

    // Executions had no run_id: they are found under their assignment's run, attempts numbered by start.
    const executions = (await storage.listExecutions(RUN_WORKFLOW))._unsafeUnwrap();
    expect(executions.map((e) => [e.id, e.assignment_id, e.attempt, e.status])).toEqual([
      [u(23), A2, 2, "interrupted"],
      [u(24), A2, 1, "failed"],
      [u(25), A3, 1, "running"],
    ]);
    expect((await storage.listCommits(A1))._unsafeUnwrap()).toMatchObject([
      {
        id: u(13),
        assignment_id: A1,
        sha: "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9012345",
        branch: "feat/run-00000000-00000000",
        message: "feat: product page",
        committed_at: "2026-02-18T09:58:30Z",
      },
    ]);
    expect((await storage.listChecks(RUN_CARD))._unsafeUnwrap()).toMatchObject([
      {
        id: u(14),
        run_id: RUN_CARD,
        assignment_id: null,
        check_type: "lint",
        status: "passed",
        output: "0 problems",
        executed_at: "2026-02-18T09:59:00Z",
        head_sha: null,
        duration_ms: null,
      },
      {
        id: u(15),
        run_id: RUN_CARD,
        assignment_id: null,
        check_type: "unit",
        status: "passed",
        output: "42 passed",
        executed_at: "2026-02-18T10:00:10Z",
        head_sha: null,
        duration_ms: null,
      },
    ]);
    expect((await storage.listApprovals(RUN_CARD))._unsafeUnwrap()).toMatchObject([
      {
        id: u(16),
        run_id: RUN_CARD,
        assignment_id: null,
        approval_type: "create_pr",
        status: "approved",
        requested_by: "system",
        requested_at: "2026-02-18T10:00:30Z",
        resolved_by: "alice",
        resolved_at: "2026-02-18T10:01:00Z",
        notes: "Looks good",
        head_sha: null,
        version: 0,
      },
    ]);
    expect((await storage.listPullRequests(RUN_CARD))._unsafeUnwrap()).toMatchObject([
      { id: u(17), status: "draft_open", pr_url: "https://github.com/acme/shop/pull/7", version: 0 },
    ]);
    // Events come in the order they happened, whatever the export's order.
    const events = (await storage.listEvents(RUN_CARD))._unsafeUnwrap();
    expect(events.map((e) => [e.sequence, e.event_type, e.actor, e.created_at])).toEqual([
      [1, "run_initialized", "user", "2026-02-18T09:30:00Z"],
      [2, "agent_run_started", "user", "2026-02-18T09:30:05Z"],
      [3, "execution_completed", "claude-flow", "2026-02-18T09:58:40Z"],
    ]);
    expect((await storage.listEvents(RUN_WORKFLOW))._unsafeUnwrap()).toEqual([]);
  });

  it("changes nothing on a second import, and lists every record as already present", async () => {
    const storage = createInMemoryStorage();
    const first = await importDossier(storage, referenceExport());
    expect(first.isOk()).toBe(true);
    const before = storage.snapshot();
    const second = (await importDossier(storage, referenceExport()))._unsafeUnwrap();
    expect(storage.snapshot()).toEqual(before);
    expect(Object.values(second.written).every((n) => n === 0)).toBe(true);
    expect(second.already_present).toHaveLength(3 + 4 + 4 + 1 + 3 + 2 + 1 + 3);
    expect(second.report).toEqual(first._unsafeUnwrap().report);
  });

  it("adds only the new rows of a later export to runs already imported", async () => {
    const storage = createInMemoryStorage();
    await importDossier(storage, referenceExport());
    const later = referenceExport();
    later.run_check?.push({
      id: u(29),
      run_id: RUN_WORKFLOW,
      check_type: "integration",
      status: "passed",
      output: "ok",
      executed_at: "2026-02-19 15:00:00",
      created_at: "2026-02-19 15:00:00",
    });
    const outcome = (await importDossier(storage, later))._unsafeUnwrap();
    expect(outcome.written).toMatchObject({ runs: 0, checks: 1, events: 0 });
    expect((await storage.listChecks(RUN_WORKFLOW))._unsafeUnwrap().map((c) => c.id)).toEqual([u(26), u(29)]);
  });

  it("gives a row whose id is not a UUID a name-based UUID, the same every time, and says so", () => {
    const data = referenceExport();
    data.run_check = [{ ...(data.run_check?.[0] as object), id: "chk-legacy-1" }];
    const once = convertDossier(data)._unsafeUnwrap();
    const twice = convertDossier(data)._unsafeUnwrap();
    const id = once.records.checks[0]?.id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5/);
    expect(twice.records.checks[0]?.id).toBe(id);
    expect(once.report.changed).toContainEqual({
      table: "run_check",
      row_id: "chk-legacy-1",
      field: "id",
      from: "chk-legacy-1",
      to: id,
      reason: "not a UUID; replaced by a UUID derived from it (the same on every import)",
    });
  });

  it("refuses, as a validation error, an input that is not an export of tables", () => {
    for (const input of [null, [], "orchestration_run", { runs: [] }, { orchestration_run: {} }]) {
      const result = convertDossier(input);
      expect(result.isErr()).toBe(true);
      if (result.isOk()) continue;
      expect(result.error.kind).toBe("validation");
    }
    expect(convertDossier({ runs: [] })._unsafeUnwrapErr().code).toBe("no_reference_tables");
    expect(convertDossier({ orchestration_run: {} })._unsafeUnwrapErr().code).toBe("table_not_a_list");
    expect(convertDossier([])._unsafeUnwrapErr().code).toBe("not_an_export");
  });

  it("skips a row that is not an object, or repeats an id, instead of failing the import", () => {
    const data = referenceExport();
    data.run_check = [42, data.run_check?.[0], data.run_check?.[0]];
    const { report, records } = convertDossier(data)._unsafeUnwrap();
    expect(records.checks).toHaveLength(1);
    expect(report.skipped.filter((s) => s.table === "run_check")).toEqual([
      { table: "run_check", row_id: "(row 0)", reason: "not a row (an object of columns)" },
      { table: "run_check", row_id: u(14), reason: "an earlier row of this table has the same id" },
    ]);
  });
});
