import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { init, parse } from "es-module-lexer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCodexDispatcher } from "../../../src/adapters/codex/index.js";
import type { AgentDispatchRequest } from "../../../src/ports/agent-dispatcher.js";
import { dispatchRequest, makeRepo, removeTempDirs, tempDir } from "../process-dispatch/dispatch-fixture.js";
import { installCodexStandIn, QUIET_TURN, standInCodex } from "./codex-fixture.js";

// What fails before Codex runs leaves the execution startable, and fails `port_failure` or `validation`.

let standIn: string;
beforeAll(async () => {
  standIn = await installCodexStandIn();
  await init;
});
afterAll(removeTempDirs);

async function request(): Promise<AgentDispatchRequest> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  return dispatchRequest(await repo.worktree(branch), branch);
}

describe("codex dispatch: failures before Codex runs", () => {
  it("throws at construction on bad options, with the reasons and an example", () => {
    expect(() => createCodexDispatcher({ timeout_ms: -1 })).toThrow(
      /invalid options[\s\S]*Usage: createCodexDispatcher/,
    );
    expect(() => createCodexDispatcher({ model: "--sandbox" })).toThrow(/model/);
    expect(() => createCodexDispatcher({ env_allow: ["NOT A NAME"] })).toThrow(/env_allow/);
  });

  it("fails port_failure when codex cannot start, and leaves the execution startable", async () => {
    const req = await request();
    const dir = await tempDir("rungate-codex-missing-");
    const harness = await standInCodex(standIn, QUIET_TURN, { codex_path_override: join(dir, "no-codex") });
    const error = (await harness.dispatcher.dispatch(req))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("ENOENT");
    expect(existsSync(join(harness.stateDir, `${req.execution_id}.json`))).toBe(false);

    const fixed = await standInCodex(standIn, QUIET_TURN, { state_dir: harness.stateDir });
    expect((await fixed.dispatcher.dispatch(req))._unsafeUnwrap().outcome).toBe("committed");
  });

  it("fails validation for a request without a worktree, starting nothing", async () => {
    const req = await request();
    const harness = await standInCodex(standIn, QUIET_TURN);
    const noWorktree = { ...req, assignment: { ...req.assignment, worktree_path: null } };
    expect((await harness.dispatcher.dispatch(noWorktree))._unsafeUnwrapErr().kind).toBe("validation");
    const gone = {
      ...req,
      assignment: { ...req.assignment, worktree_path: join(req.assignment.worktree_path ?? "", "gone") },
    };
    expect((await harness.dispatcher.dispatch(gone))._unsafeUnwrapErr().kind).toBe("port_failure");
    expect(harness.starts()).toHaveLength(0);
  });

  it("imports @openai/codex-sdk only dynamically, so that loading rungate/codex never loads it", () => {
    const dir = join(import.meta.dirname, "..", "..", "..", "src", "adapters", "codex");
    const uses = readdirSync(dir).flatMap((name) => {
      const [imports] = parse(readFileSync(join(dir, name), "utf8"), name);
      return imports.filter((i) => i.specifier === "@openai/codex-sdk").map((i) => ({ name, type: i.type }));
    });
    expect(uses).toEqual([{ name: "codex-client.ts", type: "dynamic" }]);
  });
});
