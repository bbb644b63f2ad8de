import { afterAll, describe, expect, it, vi } from "vitest";
import { createCodexDispatcher } from "../../../src/adapters/codex/index.js";
import { dispatchRequest, makeRepo, removeTempDirs, tempDir } from "../process-dispatch/dispatch-fixture.js";

// As if the optional peer were not installed: its import fails.
vi.mock("@openai/codex-sdk", () => {
  throw new Error("Cannot find package '@openai/codex-sdk'");
});
afterAll(removeTempDirs);

describe("codex dispatch without @openai/codex-sdk", () => {
  it("fails port_failure naming the optional peer to install, and leaves the execution startable", async () => {
    const repo = await makeRepo();
    const worktree = await repo.worktree("rungate/card-sdk");
    const request = dispatchRequest(worktree, "rungate/card-sdk");
    const stateDir = await tempDir("rungate-codex-state-");
    const dispatcher = createCodexDispatcher({ state_dir: stateDir });
    const error = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("npm install @openai/codex-sdk");
    const again = (await dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(again.kind).toBe("port_failure");
  });
});
