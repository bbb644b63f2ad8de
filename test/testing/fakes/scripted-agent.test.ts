import { describe, expect, it } from "vitest";
import { rungateError } from "../../../src/core/errors.js";
import { NO_AGENT_LIMITS } from "../../../src/core/policy/agent-budget.js";
import { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import type { AgentDispatchRequest, AgentProgress } from "../../../src/ports/agent-dispatcher.js";
import { describeAgentDispatcherContract } from "../../../src/testing/contracts/agent-dispatcher.js";
import { createInMemoryGit, type InMemoryGit } from "../../../src/testing/fakes/in-memory-git.js";
import {
  type AgentScript,
  createScriptedAgent,
  defaultAgentFile,
  type ScriptedAgent,
} from "../../../src/testing/fakes/scripted-agent.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";

const REPO = "https://example.invalid/acme/shop.git";
const CARD = fixtureId(100);
const OTHER_CARD = fixtureId(101);

interface World {
  readonly git: InMemoryGit;
  readonly agent: ScriptedAgent;
  readonly clone_path: string;
  /** A ready request for `card` (default {@link CARD}), with its own branch, worktree and execution id. */
  request(card?: string): Promise<AgentDispatchRequest>;
  head(request: AgentDispatchRequest): Promise<string>;
  content(ref: string, path: string): Promise<string | null>;
}

async function world(script?: AgentScript): Promise<World> {
  const git = createInMemoryGit();
  git.createRemote(REPO, { "README.md": "# shop\n" });
  const clone = await git.ensureClone({ project_id: fixtureId(1), repo_url: REPO });
  if (clone.isErr()) throw new Error(clone.error.message);
  const { clone_path } = clone.value;
  const agent = createScriptedAgent(git, script);
  let executions = 0;
  let assignments = 0;

  return {
    git,
    agent,
    clone_path,
    async request(card = CARD) {
      assignments += 1;
      executions += 1;
      const assignment_id = fixtureId(500 + assignments);
      const branch = `rungate/${card}-${assignments}`;
      const created = await git
        .createFeatureBranch({ clone_path, branch, base_branch: "main" })
        .andThen(() => git.createWorktree({ clone_path, branch, assignment_id }));
      if (created.isErr()) throw new Error(created.error.message);
      const assignment = CardAssignment.parse({
        id: assignment_id,
        run_id: fixtureId(10),
        card_id: card,
        agent_role: "coder",
        agent_profile: null,
        feature_branch: branch,
        worktree_path: created.value.worktree_path,
        allowed_paths: ["src/**", "test/**"],
        forbidden_paths: [],
        assignment_input_snapshot: {},
        status: "queued",
        phase: "ready",
        created_at: FIXTURE_TIME,
        updated_at: FIXTURE_TIME,
        version: 0,
      });
      return {
        run_id: fixtureId(10),
        execution_id: fixtureId(700 + executions),
        assignment,
        task: `Implement card ${card}`,
      };
    },
    async head(request) {
      const head = await git.headSha({ clone_path, ref: request.assignment.feature_branch });
      if (head.isErr()) throw new Error(head.error.message);
      return head.value;
    },
    async content(ref, path) {
      const content = await git.fileContent({ clone_path, ref, path });
      if (content.isErr()) throw new Error(content.error.message);
      return content.value;
    },
  };
}

describeAgentDispatcherContract({
  name: "scripted agent",
  make: async () => {
    const w = await world();
    return {
      dispatcher: w.agent,
      prepare: () => w.request(),
      readHead: (request) => w.head(request),
      scriptCommit: (request) =>
        w.agent.setScript(request.assignment.card_id, [
          { commits: [{ files: { "src/contract.ts": `// ${request.execution_id}\n` } }] },
        ]),
    };
  },
});

describe("scripted agent", () => {
  describe("without a script", () => {
    it("commits one file under the first allowed path's base directory, naming the execution", async () => {
      const w = await world();
      const request = await w.request();
      const before = await w.head(request);
      const result = await w.agent.dispatch(request);
      expect(result._unsafeUnwrap()).toEqual({
        outcome: "committed",
        exit_code: 0,
        summary: "scripted agent made 1 commit",
      });
      const after = await w.head(request);
      expect(after).not.toBe(before);
      expect(await w.content(after, "src/rungate-00000064.txt")).toBe(
        `scripted change by execution ${request.execution_id}\n`,
      );
    });

    it("picks a path the first allowed glob accepts", () => {
      const at = (allowed_paths: string[]) => defaultAgentFile({ card_id: CARD, allowed_paths });
      expect(at(["src/**"])).toBe("src/rungate-00000064.txt");
      expect(at(["**"])).toBe("rungate-00000064.txt");
      expect(at(["packages/web/src/**", "docs/**"])).toBe("packages/web/src/rungate-00000064.txt");
      expect(at(["src/*.ts"])).toBe("src/rungate-00000064.ts");
      expect(at(["README.md"])).toBe("README.md");
    });
  });

  describe("scripts", () => {
    it("writes the scripted commits into the assignment's worktree, in order", async () => {
      const w = await world({
        [CARD]: [
          {
            commits: [
              { files: { "src/cart.ts": "export const total = 0;\n" }, message: "add cart" },
              { files: { "src/cart.ts": "export const total = 1;\n", "README.md": null } },
            ],
            summary: "two commits",
          },
        ],
      });
      const request = await w.request();
      const base = await w.head(request);
      const result = await w.agent.dispatch(request);
      expect(result._unsafeUnwrap().summary).toBe("two commits");
      const head = await w.head(request);
      expect(await w.content(head, "src/cart.ts")).toBe("export const total = 1;\n");
      expect(await w.content(head, "README.md")).toBeNull();
      const commits = await w.git.commitsSince({ clone_path: w.clone_path, base, head });
      expect(commits._unsafeUnwrap().map((c) => c.message)).toEqual([
        "add cart",
        `scripted commit 2 for card ${CARD}`,
      ]);
    });

    it("commits on another branch when the step says so (an agent on the wrong branch)", async () => {
      const w = await world({
        [CARD]: [{ commits: [{ files: { "src/lost.ts": "x\n" }, branch: "main" }], outcome: "committed" }],
      });
      const request = await w.request();
      const before = await w.head(request);
      const mainBefore = w.git.branchTip(w.clone_path, "main");
      const result = await w.agent.dispatch(request);
      expect(result._unsafeUnwrap().outcome).toBe("committed");
      expect(await w.head(request)).toBe(before);
      const mainAfter = w.git.branchTip(w.clone_path, "main");
      expect(mainAfter).toBeDefined();
      expect(mainAfter).not.toBe(mainBefore);
      expect(await w.content(mainAfter ?? "", "src/lost.ts")).toBe("x\n");
    });

    it("leaves files uncommitted in the worktree when the step says so", async () => {
      const w = await world({
        [CARD]: [{ uncommitted: { "src/dirty.ts": "wip\n" }, outcome: "uncommitted_changes" }],
      });
      const request = await w.request();
      const before = await w.head(request);
      const result = await w.agent.dispatch(request);
      expect(result._unsafeUnwrap()).toMatchObject({ outcome: "uncommitted_changes", exit_code: 0 });
      expect(await w.head(request)).toBe(before);
      expect(w.git.uncommittedChanges(request.assignment.worktree_path ?? "")).toEqual(["src/dirty.ts"]);
    });

    it("reports what the step says, with exit codes that follow the outcome by default", async () => {
      const w = await world({ [CARD]: [{ outcome: "agent_error", summary: "crashed" }] });
      const result = await w.agent.dispatch(await w.request());
      expect(result._unsafeUnwrap()).toEqual({ outcome: "agent_error", exit_code: 1, summary: "crashed" });
      const w2 = await world({ [CARD]: [{ outcome: "no_changes", exit_code: 3 }] });
      expect((await w2.agent.dispatch(await w2.request()))._unsafeUnwrap()).toMatchObject({
        outcome: "no_changes",
        exit_code: 3,
        summary: "scripted agent made 0 commits",
      });
    });

    it("plays a card's steps on successive dispatches and repeats the last one", async () => {
      const w = await world({
        [CARD]: [{ outcome: "agent_error" }, { outcome: "no_changes" }],
        "*": [{ outcome: "wrong_branch" }],
      });
      const outcomes: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        outcomes.push((await w.agent.dispatch(await w.request()))._unsafeUnwrap().outcome);
      }
      expect(outcomes).toEqual(["agent_error", "no_changes", "no_changes"]);
      const other = await w.agent.dispatch(await w.request(OTHER_CARD));
      expect(other._unsafeUnwrap().outcome).toBe("wrong_branch");
      expect(w.agent.dispatches.map((d) => d.step)).toEqual([0, 1, 1, 0]);
    });

    it("skips a commit that would change nothing when its step is played again (a redispatch), making none", async () => {
      const w = await world({ [CARD]: [{ commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const request = await w.request();
      expect((await w.agent.dispatch(request))._unsafeUnwrap().summary).toBe("scripted agent made 1 commit");
      const head = await w.head(request);
      const again = await w.agent.dispatch({ ...request, execution_id: `${request.execution_id}-2` });
      expect(again._unsafeUnwrap()).toMatchObject({
        outcome: "committed",
        summary: "scripted agent made 0 commits",
      });
      expect(await w.head(request)).toBe(head);
    });

    it("starts again from the first step after setScript", async () => {
      const w = await world({ [CARD]: [{ outcome: "agent_error" }] });
      await w.agent.dispatch(await w.request());
      w.agent.setScript(CARD, [{ outcome: "no_changes" }, { outcome: "agent_error" }]);
      expect((await w.agent.dispatch(await w.request()))._unsafeUnwrap().outcome).toBe("no_changes");
      expect((await w.agent.dispatch(await w.request()))._unsafeUnwrap().outcome).toBe("agent_error");
    });

    it("fails at the port level with the step's error, writing nothing", async () => {
      const broken = rungateError("port_failure", "spawn_failed", {
        port: "AgentDispatcher",
        adapter: "scripted-agent",
        operation: "dispatch",
        retryable: true,
        cause: "ENOENT",
      });
      const w = await world({ [CARD]: [{ fail: broken, commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const request = await w.request();
      const before = await w.head(request);
      expect((await w.agent.dispatch(request))._unsafeUnwrapErr()).toBe(broken);
      expect(await w.head(request)).toBe(before);
    });

    it("returns git's error when it cannot commit, and port_failure without a worktree", async () => {
      const w = await world({ [CARD]: [{ commits: [{ files: { "src/a.ts": "a\n" }, branch: "nope" }] }] });
      expect((await w.agent.dispatch(await w.request()))._unsafeUnwrapErr().kind).toBe("not_found");
      const request = await w.request(OTHER_CARD);
      const orphan = { ...request, assignment: { ...request.assignment, worktree_path: null } };
      expect((await w.agent.dispatch(orphan))._unsafeUnwrapErr()).toMatchObject({
        kind: "port_failure",
        detail: { port: "AgentDispatcher", adapter: "scripted-agent" },
      });
    });
  });

  describe("progress, cancellation and timeout", () => {
    it("reports progress lines in order, each with the execution id", async () => {
      const w = await world({
        [CARD]: [
          {
            commits: [{ files: { "src/a.ts": "a\n", "README.md": null } }],
            uncommitted: { "src/b.ts": "b\n" },
          },
        ],
      });
      const request = await w.request();
      const lines: AgentProgress[] = [];
      await w.agent.dispatch(request, { onProgress: (p) => lines.push(p) });
      const head = await w.head(request);
      expect(lines.every((l) => l.execution_id === request.execution_id)).toBe(true);
      expect(lines.map((l) => l.message)).toEqual([
        `started ${CARD} on ${request.assignment.feature_branch}`,
        "writing src/a.ts",
        "deleting README.md",
        `committed ${head}`,
        "writing src/b.ts",
        "finished: committed",
      ]);
    });

    it("is cancelled by an abort during its work, and writes nothing", async () => {
      const w = await world({ [CARD]: [{ delay_ms: 10_000, commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const request = await w.request();
      const before = await w.head(request);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 20);
      const started = Date.now();
      const result = await w.agent.dispatch(request, { signal: controller.signal });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result._unsafeUnwrapErr().kind).toBe("cancelled");
      expect(await w.head(request)).toBe(before);
    });

    it("times out when its work takes longer than timeout_ms, and writes nothing", async () => {
      const w = await world({ [CARD]: [{ delay_ms: 10_000, commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const request = await w.request();
      const before = await w.head(request);
      const result = await w.agent.dispatch(request, { timeout_ms: 20 });
      expect(result._unsafeUnwrapErr()).toMatchObject({ kind: "timeout", detail: { timeout_ms: 20 } });
      expect(await w.head(request)).toBe(before);
    });

    it("finishes normally when its work fits in the timeout", async () => {
      const w = await world({ [CARD]: [{ delay_ms: 5, commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const result = await w.agent.dispatch(await w.request(), { timeout_ms: 5_000 });
      expect(result._unsafeUnwrap().outcome).toBe("committed");
    });
  });

  describe("dispatch log and idempotency", () => {
    it("records every start with its assignment, execution and task; an aborted call starts nothing", async () => {
      const w = await world();
      const first = await w.request();
      await w.agent.dispatch(first);
      const controller = new AbortController();
      controller.abort();
      const refused = await w.request(OTHER_CARD);
      await w.agent.dispatch(refused, { signal: controller.signal });
      expect(w.agent.dispatches).toEqual([
        {
          run_id: first.run_id,
          execution_id: first.execution_id,
          assignment_id: first.assignment.id,
          card_id: CARD,
          task: first.task,
          step: null,
          limits: NO_AGENT_LIMITS,
          resume_session_id: null,
          sandbox: { network: false },
        },
      ]);
      expect((await w.agent.dispatch(refused)).isOk()).toBe(true);
      expect(w.agent.dispatches.map((d) => d.execution_id)).toEqual([
        first.execution_id,
        refused.execution_id,
      ]);
    });

    it("joins a running execution instead of starting the agent twice", async () => {
      const w = await world({
        [CARD]: [
          { delay_ms: 30, commits: [{ files: { "src/a.ts": "a\n" } }], summary: "first" },
          { commits: [{ files: { "src/a.ts": "again\n" } }], summary: "second" },
        ],
      });
      const request = await w.request();
      const [one, two] = await Promise.all([w.agent.dispatch(request), w.agent.dispatch(request)]);
      const three = await w.agent.dispatch(request);
      expect([one, two, three].map((r) => r._unsafeUnwrap().summary)).toEqual(["first", "first", "first"]);
      expect(w.agent.dispatches).toHaveLength(1);
      expect(w.agent.replays).toEqual([request.execution_id, request.execution_id]);
      expect(await w.content(await w.head(request), "src/a.ts")).toBe("a\n");
    });

    it("answers a repeated call with the first run's error too", async () => {
      const w = await world({ [CARD]: [{ delay_ms: 10_000 }, { outcome: "committed" }] });
      const request = await w.request();
      const controller = new AbortController();
      const first = w.agent.dispatch(request, { signal: controller.signal });
      controller.abort();
      expect((await first)._unsafeUnwrapErr().kind).toBe("cancelled");
      expect((await w.agent.dispatch(request))._unsafeUnwrapErr().kind).toBe("cancelled");
      expect(w.agent.dispatches).toHaveLength(1);
    });

    it("lets a repeated caller stop waiting with its own signal, without cancelling the run", async () => {
      const w = await world({ [CARD]: [{ delay_ms: 40, commits: [{ files: { "src/a.ts": "a\n" } }] }] });
      const request = await w.request();
      const run = w.agent.dispatch(request);
      const controller = new AbortController();
      const waiting = w.agent.dispatch(request, { signal: controller.signal });
      controller.abort();
      expect((await waiting)._unsafeUnwrapErr().kind).toBe("cancelled");
      expect((await run)._unsafeUnwrap().outcome).toBe("committed");
      expect(await w.content(await w.head(request), "src/a.ts")).toBe("a\n");
    });
  });
});
