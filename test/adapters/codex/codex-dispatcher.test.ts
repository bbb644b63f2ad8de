import { realpathSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readMarker } from "../../../src/internal/agent-dispatch/execution-markers.js";
import type { AgentDispatchRequest, AgentProgress } from "../../../src/ports/agent-dispatcher.js";
import { describeAgentDispatcherContract } from "../../../src/testing/contracts/agent-dispatcher.js";
import {
  dispatchRequest,
  git,
  makeRepo,
  removeTempDirs,
  tempDir,
} from "../process-dispatch/dispatch-fixture.js";
import { COMMITTING_TURN, installCodexStandIn, QUIET_TURN, standInCodex } from "./codex-fixture.js";

// The real @openai/codex-sdk drives a stand-in `codex` (stand-in-codex.cjs) in temp repositories: no network,
// no key, no model. What these prove is how rungate drives the SDK and reads its events, not what Codex does.

let standIn: string;
const PARENT_SECRET = "parent-secret-value-4b1d";

beforeAll(async () => {
  standIn = await installCodexStandIn();
  process.env.RUNGATE_TEST_PARENT_SECRET = PARENT_SECRET;
});
afterAll(async () => {
  delete process.env.RUNGATE_TEST_PARENT_SECRET;
  await removeTempDirs();
});

/** A repository with a linked worktree on a new feature branch, and a request for it. */
async function prepared(
  overrides: Parameters<typeof dispatchRequest>[2] = {},
): Promise<{ request: AgentDispatchRequest; worktree: string; clone: string }> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  const worktree = await repo.worktree(branch);
  return { request: dispatchRequest(worktree, branch, overrides), worktree, clone: repo.clone };
}

describeAgentDispatcherContract({
  name: "codex dispatcher (stand-in codex through @openai/codex-sdk)",
  make: async () => {
    const harness = await standInCodex(standIn, QUIET_TURN);
    return {
      dispatcher: harness.dispatcher,
      prepare: async () => (await prepared()).request,
      readHead: (request) => git(request.assignment.worktree_path ?? "", "rev-parse", "HEAD"),
      scriptCommit: () => harness.script(COMMITTING_TURN),
    };
  },
});

describe("codex dispatch: a turn that commits", () => {
  it("answers committed with the thread, usage over both model responses, turns and last message", async () => {
    const { request, worktree } = await prepared();
    const harness = await standInCodex(standIn, COMMITTING_TURN);
    const before = await git(worktree, "rev-parse", "HEAD");
    const lines: AgentProgress[] = [];
    const outcome = (
      await harness.dispatcher.dispatch(request, { onProgress: (p) => lines.push(p) })
    )._unsafeUnwrap();

    expect(await git(worktree, "rev-parse", "HEAD")).not.toBe(before);
    expect(outcome.outcome).toBe("committed");
    expect(outcome.terminal_reason).toBe("completed");
    expect(outcome.exit_code).toBe(0);
    expect(outcome.usage).toEqual({ input_tokens: 400, output_tokens: 60, cached_input_tokens: 60 });
    expect(outcome.cost_usd).toBeNull();
    expect(outcome.num_turns).toBe(2);
    expect(outcome.final_message).toBe("Added the cart total and committed it.");
    expect(outcome.permission_denials).toEqual([]);
    expect(outcome.summary).toContain("rungate reads what it committed from git");

    const [start] = harness.starts();
    expect(outcome.session_id).toMatch(/^[0-9a-f-]{36}$/);
    const marker = await readMarker(join(harness.stateDir, `${request.execution_id}.json`));
    expect(marker?.session_id).toBe(outcome.session_id);
    expect(marker?.spawning).toBe(true);
    expect(marker?.result).toEqual({ ok: outcome });
    expect(start?.prompt).toBe(request.task);
    expect(start?.resume).toBeNull();

    const items = lines.flatMap((line) => (line.item ? [line.item] : []));
    expect(items).toContainEqual({
      kind: "command",
      command: expect.stringContaining("git commit"),
      exit_code: 0,
    });
    expect(items).toContainEqual({
      kind: "file_edit",
      path: expect.stringMatching(/^src\/codex-.*\.txt$/),
      change: "add",
    });
    expect(items).toContainEqual({ kind: "message", text: "Added the cart total and committed it." });
    expect(items.filter((i) => i.kind === "usage").at(-1)).toEqual({
      kind: "usage",
      usage: { input_tokens: 400, output_tokens: 60, cached_input_tokens: 60 },
      cost_usd: null,
      num_turns: 2,
    });
    expect(lines.every((line) => line.execution_id === request.execution_id)).toBe(true);
  });

  it("answers a repeated dispatch from its marker without starting Codex again", async () => {
    const { request } = await prepared();
    const harness = await standInCodex(standIn, COMMITTING_TURN);
    const first = (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
    const again = (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
    expect(again).toEqual(first);
    expect(harness.starts()).toHaveLength(1);
  });
});

describe("codex dispatch: what reaches the codex executable", () => {
  it("runs workspace-write, approval never, no network, in the worktree with the clone's git dirs writable", async () => {
    const { request, worktree, clone } = await prepared();
    const harness = await standInCodex(standIn, QUIET_TURN, { model: "gpt-5-codex" });
    (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
    const [start] = harness.starts();
    expect(start?.argv.slice(0, 2)).toEqual(["exec", "--experimental-json"]);
    expect(start?.sandbox).toBe("workspace-write");
    expect(start?.config.approval_policy).toBe("never");
    expect(start?.config["sandbox_workspace_write.network_access"]).toBe(false);
    expect(start?.config.web_search).toBe("disabled");
    expect(start?.cwd).toBe(realpathSync(worktree));
    const common = realpathSync(join(clone, ".git"));
    expect(start?.add_dirs).toEqual([common, join(common, "worktrees", basename(worktree))]);
    expect(start?.skip_git_repo_check).toBe(false);
    expect(start?.model).toBe("gpt-5-codex");
  });

  it("adds a standalone repository's own .git, and allows the network when the request does", async () => {
    const worktree = await tempDir("rungate-standalone-");
    await git(worktree, "init", "-q", "-b", "rungate/card-x");
    const request = { ...dispatchRequest(worktree, "rungate/card-x"), sandbox: { network: true } };
    const harness = await standInCodex(standIn, QUIET_TURN);
    (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
    const [start] = harness.starts();
    expect(start?.add_dirs).toEqual([realpathSync(join(worktree, ".git"))]);
    expect(start?.config["sandbox_workspace_write.network_access"]).toBe(true);
    expect(start?.config.web_search).toBeUndefined();
  });

  it("takes the model from the request's limits over the configured one", async () => {
    const { request } = await prepared();
    const harness = await standInCodex(standIn, QUIET_TURN, { model: "gpt-5-codex" });
    const limits = {
      max_turns: null,
      max_cost_usd: null,
      max_tokens: null,
      timeout_ms: null,
      inactivity_timeout_ms: null,
      model: "o4-mini",
    };
    (await harness.dispatcher.dispatch({ ...request, limits }))._unsafeUnwrap();
    expect(harness.starts()[0]?.model).toBe("o4-mini");
  });

  it("refuses a .git file that names a git dir not pointing back at the worktree, starting nothing", async () => {
    const { request, worktree } = await prepared();
    const elsewhere = await tempDir("rungate-elsewhere-");
    await mkdir(join(elsewhere, "worktrees", "x"), { recursive: true });
    await writeFile(join(worktree, ".git"), `gitdir: ${join(elsewhere, "worktrees", "x")}\n`);
    const harness = await standInCodex(standIn, QUIET_TURN);
    const error = (await harness.dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain("does not point back");
    expect(harness.starts()).toHaveLength(0);
  });

  it("refuses a rewritten commondir that would make another directory writable", async () => {
    const { request, worktree } = await prepared();
    const pointer = (await import("node:fs")).readFileSync(join(worktree, ".git"), "utf8");
    const gitDir = /gitdir: (.+)/.exec(pointer)?.[1]?.trim() ?? "";
    await writeFile(join(gitDir, "commondir"), `${await tempDir("rungate-victim-")}\n`);
    const harness = await standInCodex(standIn, QUIET_TURN);
    const error = (await harness.dispatcher.dispatch(request))._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(harness.starts()).toHaveLength(0);
  });
});

describe("codex dispatch: environment and secrets", () => {
  it("gives Codex only the allow-listed environment, the key as CODEX_API_KEY, and lists the secrets", async () => {
    const { request } = await prepared();
    process.env.OPENAI_API_KEY = "sk-test-openai-0123456789abcdef";
    try {
      const harness = await standInCodex(standIn, QUIET_TURN, {
        env_allow: ["OPENAI_API_KEY"],
        api_key: "codex-key-0123456789",
      });
      (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
      const [start] = harness.starts();
      expect(start?.env.parent_secret_seen).toBe(false);
      expect(start?.env.names).not.toContain("RUNGATE_TEST_PARENT_SECRET");
      expect(start?.env.names).not.toContain("RUNGATE_TEST_HOST_DEPLOY_TOKEN");
      expect(start?.env.openai_api_key).toBe("sk-test-openai-0123456789abcdef");
      expect(start?.env.codex_api_key).toBe("codex-key-0123456789");
      expect(start?.env.execution_id).toBe(request.execution_id);
      expect(harness.dispatcher.secret_values).toEqual(
        expect.arrayContaining(["codex-key-0123456789", "sk-test-openai-0123456789abcdef"]),
      );
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it("passes no key Codex was not given: OPENAI_API_KEY of this process stays here unless allow-listed", async () => {
    const { request } = await prepared();
    process.env.OPENAI_API_KEY = "sk-test-openai-0123456789abcdef";
    try {
      const harness = await standInCodex(standIn, QUIET_TURN);
      (await harness.dispatcher.dispatch(request))._unsafeUnwrap();
      expect(harness.starts()[0]?.env.openai_api_key).toBeNull();
      expect(harness.starts()[0]?.env.codex_api_key).toBeNull();
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it("redacts secrets from progress, final message and summary", async () => {
    const { request } = await prepared();
    const harness = await standInCodex(
      standIn,
      {
        steps: [
          { do: "thread_started" },
          { do: "turn_started" },
          { do: "command", command: `echo ${PARENT_SECRET}` },
          { do: "message", text: `The key is codex-key-0123456789 and ${PARENT_SECRET}` },
          { do: "usage", input: 1, output: 1 },
          { do: "turn_completed" },
        ],
      },
      { api_key: "codex-key-0123456789", redact_patterns: ["parent-secret-[a-z0-9-]+"] },
    );
    const lines: AgentProgress[] = [];
    const outcome = (
      await harness.dispatcher.dispatch(request, { onProgress: (p) => lines.push(p) })
    )._unsafeUnwrap();
    const seen = JSON.stringify([outcome, lines]);
    expect(seen).not.toContain("codex-key-0123456789");
    expect(seen).not.toContain(PARENT_SECRET);
    expect(outcome.final_message).toBe("The key is [redacted] and [redacted]");
  });
});
