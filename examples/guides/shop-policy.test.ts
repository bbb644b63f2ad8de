// shop-policy.test.ts
import { createOrchestrator } from "rungate";
import { createInMemoryPorts, expectOk, fixtureId, runInputFixture } from "rungate/testing";
import { describe, expect, it } from "vitest";
import { shopPolicy } from "./shop-policy.js";

const card_id = fixtureId(100); // the card runInputFixture() holds
const input = runInputFixture({ project_id: shopPolicy.project_id });

describe("the shop policy", () => {
  it("fails a card whose agent commits a .env file, and asks nobody", async () => {
    const ports = createInMemoryPorts({
      agent: { [card_id]: [{ commits: [{ files: { "src/.env": "TOKEN=x" } }] }] },
    });
    const built = expectOk(await createOrchestrator(ports).triggerBuild({ ...input, policy: shopPolicy }));
    expect(built.assignments[0]?.phase).toBe("failed");
    expect(built.assignments[0]?.failure?.kind).toBe("path_violation");
    expect(built.approvals).toEqual([]);
  });

  it("asks nobody while the security check fails", async () => {
    const ports = createInMemoryPorts({ checks: { security: "failed" } });
    const built = expectOk(await createOrchestrator(ports).triggerBuild({ ...input, policy: shopPolicy }));
    expect(built.run.phase).toBe("checks_failed");
    expect(built.approvals).toEqual([]);
  });

  it("asks for a code review on top of create_pr once every check passed", async () => {
    const ports = createInMemoryPorts();
    const built = expectOk(await createOrchestrator(ports).triggerBuild({ ...input, policy: shopPolicy }));
    expect(built.run.phase).toBe("awaiting_approval");
    expect(built.approvals.map((a) => a.approval_type).sort()).toEqual(["code_review", "create_pr"]);
  });
});
