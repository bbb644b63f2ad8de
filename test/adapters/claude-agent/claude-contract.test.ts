import { afterAll } from "vitest";
import { describeAgentDispatcherContract } from "../../../src/testing/contracts/agent-dispatcher.js";
import { git, removeTempDirs } from "../process-dispatch/dispatch-fixture.js";
import { commitScript, installStandIn, prepared, standInDispatcher } from "./claude-fixture.js";

// The AgentDispatcher contract, through the real Agent SDK to the stand-in Claude Code executable.

afterAll(removeTempDirs);

describeAgentDispatcherContract({
  name: "claude-agent (Agent SDK, stand-in Claude Code)",
  make: async () => {
    const standIn = await installStandIn();
    const { dispatcher } = await standInDispatcher(standIn);
    return {
      dispatcher,
      prepare: async () => (await prepared()).request,
      readHead: (request) => git(request.assignment.worktree_path ?? "", "rev-parse", "HEAD"),
      scriptCommit: (request) => standIn.scriptFor(request.execution_id, commitScript()),
    };
  },
});
