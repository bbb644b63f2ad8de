import {
  createOrchestrator,
  type Orchestrator,
  type OrchestratorOptionsInput,
  type SystemPolicyProfileInput,
} from "../../src/index.js";
import {
  createInMemoryPorts,
  fixtureId,
  type InMemoryPorts,
  type InMemoryPortsOptions,
  policyFixture,
  runInputFixture,
} from "../../src/testing/index.js";

export const CARD = fixtureId(100);

/** A card run request on the fixture remote; override anything. */
export function cardRequest(
  overrides: Record<string, unknown> = {},
  policy: SystemPolicyProfileInput = policyFixture(),
) {
  return { ...runInputFixture(), policy, ...overrides };
}

/** A workflow of `n` cards, card i allowed under `src/card<i>/**`. */
export function workflowRequest(
  n: number,
  // A workflow run's policy must require `integration` (the domain reference's rule).
  policy: SystemPolicyProfileInput = policyFixture({
    required_checks: ["policy", "lint", "unit", "integration"],
  }),
) {
  return {
    ...runInputFixture({
      scope: "workflow",
      workflow_id: fixtureId(50),
      card_id: null,
      trigger_type: "workflow",
      cards: Array.from({ length: n }, (_, i) => ({
        card_id: fixtureId(100 + i),
        title: `Card ${i}`,
        allowed_paths: [`src/card${i}/**`],
      })),
    }),
    policy,
  };
}

/** Ports plus an orchestrator on them. */
export function setup(
  options: InMemoryPortsOptions = {},
  orchestratorOptions: OrchestratorOptionsInput = {},
) {
  const ports: InMemoryPorts = createInMemoryPorts(options);
  return { ports, orchestrator: createOrchestrator(ports, orchestratorOptions) };
}

/** A person (alice unless told) approves one request: the decision every PR-path test starts from. */
export async function approveAsPerson(
  orchestrator: Orchestrator,
  run_id: string,
  approval_id: string,
  by = "alice",
): Promise<void> {
  (
    await orchestrator.recordApprovalDecision({ run_id, approval_id, decision: "approve", decided_by: by })
  )._unsafeUnwrap();
}
