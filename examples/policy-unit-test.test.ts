/**
 * How a host app unit-tests its own policy with rungate's in-memory ports: a whole run in milliseconds,
 * no git, no processes, no network. Copy this file next to your policy.
 */

import { createOrchestrator } from "rungate";
import { createInMemoryPorts, fixtureId, policyFixture, runInputFixture } from "rungate/testing";
import { describe, expect, it } from "vitest";

// Your policy, as your app stores it.
const ourPolicy = policyFixture({
  required_checks: ["policy", "lint", "unit", "security"],
  forbidden_paths: ["**/.env", "infra/**"],
  protected_paths: ["package.json"],
});
const card = fixtureId(100);

describe("our policy", () => {
  it("stops an agent that touches infra/, before anyone is asked", async () => {
    const ports = createInMemoryPorts({
      agent: { [card]: [{ commits: [{ files: { "infra/main.tf": "x" } }] }] },
    });
    const run = await createOrchestrator(ports).triggerBuild({
      ...runInputFixture({
        cards: [
          {
            card_id: card,
            title: "Scale up",
            allowed_paths: ["**"],
            planned_approvals: ["protected_path_change"],
          },
        ],
      }),
      policy: ourPolicy,
    });
    expect(run._unsafeUnwrap().assignments[0]?.phase).toBe("failed");
    expect(run._unsafeUnwrap().approvals).toEqual([]);
  });

  it("asks a person only once security passes", async () => {
    const ports = createInMemoryPorts({ checks: { security: "failed" } });
    const run = (
      await createOrchestrator(ports).triggerBuild({ ...runInputFixture(), policy: ourPolicy })
    )._unsafeUnwrap();
    expect(run.run.phase).toBe("checks_failed");
    expect(run.approvals).toEqual([]);
  });
});
