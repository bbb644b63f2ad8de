import type { RunInputInput } from "../core/schemas/run-input.js";
import type { SystemPolicyProfileInput } from "../core/schemas/system-policy-profile.js";

/**
 * A deterministic, valid UUID (version 4 layout) for tests: `fixtureId(1)` is
 * `00000000-0000-4000-8000-000000000001`. Different `n` give different ids; `n` must be a safe integer ≥ 0.
 */
export function fixtureId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** A fixed instant for tests that need a time and don't care which. */
export const FIXTURE_TIME = "2026-01-01T00:00:00.000Z";

/**
 * A typical policy for a TypeScript project, as a host would store it, with your overrides on top:
 * required checks `policy`, `lint`, `unit`; `.env`, keys and `secrets/` forbidden; `package.json` and
 * `migrations/` protected. Pass it to `validateRunInputAgainstPolicy` (which parses it).
 */
export function policyFixture(overrides: Partial<SystemPolicyProfileInput> = {}): SystemPolicyProfileInput {
  return {
    id: fixtureId(900),
    project_id: fixtureId(1),
    required_checks: ["policy", "lint", "unit"],
    protected_paths: ["package.json", "migrations/**"],
    forbidden_paths: ["**/.env", "**/*.pem", "secrets/**"],
    dependency_policy: {},
    security_policy: {},
    architecture_policy: {},
    approval_policy: {},
    updated_at: FIXTURE_TIME,
    ...overrides,
  };
}

/**
 * A single-card run input that passes {@link policyFixture}: card `fixtureId(100)` may write `src/**` and
 * `test/**`. Override any field; for workflows pass `scope: "workflow"`, a `workflow_id`, `card_id: null`
 * and several cards.
 */
export function runInputFixture(overrides: Partial<RunInputInput> = {}): RunInputInput {
  return {
    project_id: fixtureId(1),
    scope: "card",
    workflow_id: null,
    card_id: fixtureId(100),
    trigger_type: "card",
    initiated_by: "user:demo",
    repo_url: "https://example.invalid/acme/shop.git", // FIXTURE_REPO_URL of in-memory-ports.ts
    base_branch: "main",
    planned_checks: null,
    cards: [
      {
        card_id: fixtureId(100),
        title: "Add a cart total",
        allowed_paths: ["src/**", "test/**"],
      },
    ],
    ...overrides,
  };
}
