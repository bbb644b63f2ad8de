import { describe, expect, it } from "vitest";
import { judgeAttempt } from "../../src/orchestrator/collect-changes.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const commit = { files: { "src/cart/total.ts": "export const total = 1;\n" }, message: "cart total" };

describe("an attempt's outcome", () => {
  it("is the agent's own report of a problem even when it committed (it used to become committed)", async () => {
    for (const outcome of ["uncommitted_changes", "wrong_branch"] as const) {
      const { orchestrator } = setup({ agent: { [CARD]: [{ commits: [commit], outcome }] } });
      const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
      expect(built.assignments[0]?.phase).toBe("failed");
      expect(built.executions[0]?.outcome).toBe(outcome);
      expect(built.checks).toEqual([]);
      expect(built.approvals).toEqual([]);
    }
  });

  it("is what git found in the agent's repository: files left uncommitted after a commit fail the attempt", async () => {
    const { orchestrator } = setup({
      agent: {
        [CARD]: [{ commits: [commit], uncommitted: { "src/cart/total.ts": "export const total = 2;\n" } }],
      },
    });
    const built = (await orchestrator.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(built.executions[0]?.outcome).toBe("uncommitted_changes");
    expect(built.executions[0]?.summary).toContain("rungate: uncommitted_changes: ");
    expect(built.checks).toEqual([]);
  });

  it("follows a fixed order: a reported failure, then git's first finding, then commits or none", () => {
    const finding = { code: "foreign_refs" as const, message: "tags" };
    expect(judgeAttempt("agent_error", [finding], 2)).toBe("agent_error");
    expect(judgeAttempt("committed", [finding], 2)).toBe("foreign_refs");
    expect(judgeAttempt("committed", [], 2)).toBe("committed");
    expect(judgeAttempt("committed", [], 0)).toBe("no_changes");
    expect(judgeAttempt(undefined, [], 0)).toBe("no_changes");
  });
});

describe("a card's branch", () => {
  it.each(["main", "refs/heads/main", "release/7"])(
    "%s is refused before anything runs: no git call, no record",
    async (feature_branch) => {
      const { orchestrator, ports } = setup();
      const request = cardRequest();
      const built = await orchestrator.triggerBuild({
        ...request,
        cards: request.cards.map((c) => ({ ...c, feature_branch })),
      });
      expect(built.isErr()).toBe(true);
      expect(built._unsafeUnwrapErr().kind).toBe("policy_violation");
      expect(ports.git.operations).toEqual([]);
      expect(ports.dispatcher.dispatches).toEqual([]);
    },
  );
});
