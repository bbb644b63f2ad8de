/**
 * Fixtures shared by the lifecycle and gate specifications: realistic records built through the zod
 * schemas (so every id is a uuid and every time an ISO date-time), plus small helpers to unwrap results.
 */
import type { Result } from "neverthrow";
import type { z } from "zod";
import { ApprovalRequest } from "../../../src/core/schemas/approval-request.js";
import { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import { OrchestrationRun } from "../../../src/core/schemas/orchestration-run.js";
import { ASSIGNMENT_PHASE_STATUS, RUN_PHASE_STATUS } from "../../../src/core/schemas/phases.js";
import type { Actor } from "../../../src/core/schemas/primitives.js";
import { RunCheck } from "../../../src/core/schemas/run-check.js";
import { SystemPolicyProfile } from "../../../src/core/schemas/system-policy-profile.js";

/** A valid (version-4 layout) uuid: `id(1)` is `00000000-0000-4000-8000-000000000001`. */
export function id(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** The instant every fixture starts from. */
export const T0 = "2026-01-01T00:00:00.000Z";

/** `T0` plus `minutes`, as an ISO date-time in UTC. */
export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

export const PROJECT_ID = id(1);
export const POLICY_ID = id(2);
export const RUN_ID = id(10);
export const OTHER_RUN_ID = id(11);
export const ASSIGNMENT_ID = id(20);
export const SECOND_ASSIGNMENT_ID = id(21);
export const OTHER_ASSIGNMENT_ID = id(29);
export const CARD_ID = id(30);

/** Commit names: the base, then successive heads of a feature branch. */
export const BASE_SHA = "0".repeat(40);
export const SHA_A = "a".repeat(40);
export const SHA_B = "b".repeat(40);

export const alice: Actor = { type: "user", id: "user:alice" };
export const agent: Actor = { type: "agent", id: "agent:coder" };
export const system: Actor = { type: "system", id: "rungate" };
export const prHost: Actor = { type: "pr_host", id: "github" };

let sequence = 1000;
/** A fresh uuid for records whose id does not matter. */
export function nextId(): string {
  sequence += 1;
  return id(sequence);
}

/** A parsed run, by default `queued` in `RUN_ID`; the status follows the phase unless overridden. */
export function makeRun(overrides: Partial<z.input<typeof OrchestrationRun>> = {}): OrchestrationRun {
  const phase = overrides.phase ?? "queued";
  return OrchestrationRun.parse({
    id: RUN_ID,
    project_id: PROJECT_ID,
    scope: "card",
    workflow_id: null,
    card_id: CARD_ID,
    trigger_type: "card",
    status: RUN_PHASE_STATUS[phase],
    phase,
    initiated_by: "user:alice",
    repo_url: "https://example.invalid/acme/shop.git",
    base_branch: "main",
    system_policy_profile_id: POLICY_ID,
    system_policy_snapshot: { required_checks: ["lint", "unit"] },
    run_input_snapshot: { card_id: CARD_ID },
    snapshot_hashes: { system_policy: "sha256:policy", run_input: "sha256:input" },
    worktree_root: null,
    started_at: null,
    ended_at: null,
    created_at: T0,
    updated_at: T0,
    version: 3,
    ...overrides,
  });
}

/** A parsed assignment, by default `queued` in `RUN_ID` with id `ASSIGNMENT_ID`; status follows the phase. */
export function makeAssignment(overrides: Partial<z.input<typeof CardAssignment>> = {}): CardAssignment {
  const phase = overrides.phase ?? "queued";
  return CardAssignment.parse({
    id: ASSIGNMENT_ID,
    run_id: RUN_ID,
    card_id: CARD_ID,
    agent_role: "coder",
    agent_profile: null,
    feature_branch: "rungate/card-30",
    worktree_path: null,
    allowed_paths: ["src/**", "test/**"],
    forbidden_paths: ["secrets/**"],
    assignment_input_snapshot: { card_id: CARD_ID },
    status: ASSIGNMENT_PHASE_STATUS[phase],
    phase,
    base_sha: null,
    head_sha: null,
    created_at: T0,
    updated_at: T0,
    version: 5,
    ...overrides,
  });
}

/** A parsed check result for `ASSIGNMENT_ID` on `SHA_A`, executed at `at(1)`, unless overridden. */
export function makeCheck(
  overrides: Partial<z.input<typeof RunCheck>> & Pick<z.input<typeof RunCheck>, "check_type" | "status">,
): RunCheck {
  return RunCheck.parse({
    id: nextId(),
    run_id: RUN_ID,
    assignment_id: ASSIGNMENT_ID,
    output: null,
    executed_at: at(1),
    head_sha: SHA_A,
    duration_ms: 1200,
    ...overrides,
  });
}

/** A parsed approval of `create_pr` for `ASSIGNMENT_ID` on `SHA_A`, approved by alice, unless overridden. */
export function makeApproval(overrides: Partial<z.input<typeof ApprovalRequest>> = {}): ApprovalRequest {
  return ApprovalRequest.parse({
    id: nextId(),
    run_id: RUN_ID,
    assignment_id: ASSIGNMENT_ID,
    approval_type: "create_pr",
    status: "approved",
    requested_by: "rungate",
    requested_at: at(2),
    resolved_by: "user:alice",
    resolved_at: at(3),
    notes: null,
    head_sha: SHA_A,
    version: 1,
    ...overrides,
  });
}

/** A parsed policy requiring `lint` and `unit` with the default approval policy, unless overridden. */
export function makePolicy(
  overrides: Partial<z.input<typeof SystemPolicyProfile>> = {},
): SystemPolicyProfile {
  return SystemPolicyProfile.parse({
    id: POLICY_ID,
    project_id: PROJECT_ID,
    required_checks: ["lint", "unit"],
    protected_paths: ["migrations/**"],
    forbidden_paths: ["secrets/**"],
    dependency_policy: {},
    security_policy: {},
    architecture_policy: {},
    approval_policy: {},
    updated_at: T0,
    ...overrides,
  });
}

/** Freezes `value` and everything reachable from it (written here so the specs don't trust the code under test). */
export function freezeDeep<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) freezeDeep((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}

/** The success value of `result`; fails the test with the error's message otherwise. */
export function okValue<T, E extends { readonly message: string }>(result: Result<T, E>): T {
  if (result.isErr()) throw new Error(`expected ok, got error: ${result.error.message}`);
  return result.value;
}

/** The error of `result`; fails the test when it succeeded. */
export function errorOf<T, E>(result: Result<T, E>): E {
  if (result.isOk()) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}
