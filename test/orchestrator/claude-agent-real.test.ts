/**
 * A card run end to end with Claude Code as its agent: the orchestrator on real git (simple-git, a local bare
 * remote, linked worktrees), PGlite storage, process checks and the local PR host (the hostile world), with
 * `createClaudeDispatcher` driving the stand-in Claude Code executable through the real Agent SDK. The
 * policy's `agent_policy` reaches the agent's argv, what the agent reports lands on its execution, forbidden
 * writes are refused before they happen, and the card's dollar budget holds across attempts. No network, no
 * key.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteStorage, type PostgresStorage } from "../../src/adapters/postgres/index.js";
import type { SystemPolicyProfileInput } from "../../src/core/schemas/system-policy-profile.js";
import { type CreateRunRequest, createOrchestrator, type Orchestrator } from "../../src/index.js";
import { fixtureId, policyFixture } from "../../src/testing/index.js";
import {
  commitScript,
  installStandIn,
  type StandIn,
  type StandInScript,
  standInDispatcher,
} from "../adapters/claude-agent/claude-fixture.js";
import { removeTempDirs as removeDispatchDirs } from "../adapters/process-dispatch/dispatch-fixture.js";
import { gitIn, removeTempDirs as removeGitDirs } from "../adapters/simple-git/git-helpers.js";
import { type HostileWorld, hostileWorld, readBack } from "../hostile/hostile-world.js";

// One PGlite store for the file (opening one takes seconds); each case is a run of its own card in it.
let storage: PostgresStorage | undefined;
beforeAll(async () => {
  storage = (await createPgliteStorage())._unsafeUnwrap();
}, 60_000);
afterAll(async () => {
  await storage?.close();
  await Promise.all([removeGitDirs(), removeDispatchDirs()]);
});

/** Who the stand-in's `git commit` is, whatever the machine's git config says. */
const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: "Claude Stand-in",
  GIT_AUTHOR_EMAIL: "claude@example.invalid",
  GIT_COMMITTER_NAME: "Claude Stand-in",
  GIT_COMMITTER_EMAIL: "claude@example.invalid",
};

type AgentPolicyInput = NonNullable<SystemPolicyProfileInput["agent_policy"]>;

interface ClaudeWorld {
  readonly w: HostileWorld;
  readonly standIn: StandIn;
  /** An orchestrator on the world's real ports, with the Claude dispatcher as its agent. */
  readonly orchestrator: Orchestrator;
  /** A card run on the world's remote under the policy fixture with `agent_policy`. */
  request(card_id: string): CreateRunRequest;
}

async function claudeWorld(agent_policy: AgentPolicyInput): Promise<ClaudeWorld> {
  if (storage === undefined) throw new Error("the PGlite store did not open");
  const w = await hostileWorld({ storage });
  const standIn = await installStandIn();
  const { dispatcher } = await standInDispatcher(standIn, { env: GIT_IDENTITY });
  const orchestrator = createOrchestrator({ ...w.ports, dispatcher });
  const policy = policyFixture({ required_checks: ["policy", "unit"], agent_policy });
  return { w, standIn, orchestrator, request: (card_id) => ({ ...w.request(card_id), policy }) };
}

/** A script spending `cost` dollars and these tokens on each turn. */
const priced = (script: StandInScript, cost: number): StandInScript => ({
  ...script,
  cost_per_turn: cost,
  usage_per_turn: { input_tokens: 1_000, output_tokens: 200, cache_read_input_tokens: 400 },
});

/** Triggers a card run and answers its stored state. */
async function build(cw: ClaudeWorld, card_id: string) {
  const built = await cw.orchestrator.triggerBuild(cw.request(card_id));
  if (built.isErr()) throw new Error(`triggerBuild failed: ${built.error.code}: ${built.error.message}`);
  const run_id = built.value.run.id;
  return { run_id, state: (await cw.orchestrator.getRun(run_id))._unsafeUnwrap() };
}

/** A person rejects the card's pending approval. */
async function reject(cw: ClaudeWorld, run_id: string): Promise<void> {
  const pending = (await readBack(cw.w, run_id)).approvals.filter((a) => a.status === "pending");
  expect(pending).toHaveLength(1);
  (
    await cw.orchestrator.recordApprovalDecision({
      run_id,
      approval_id: pending[0]?.id ?? "",
      decision: "reject",
      decided_by: "user:ana",
      notes: "Not what the card asked for.",
    })
  )._unsafeUnwrap();
}

describe("a card run with Claude Code (stand-in) on real git, PGlite and process checks", () => {
  it("a cooperative agent commits: its report is stored and the policy's limits reached it", async () => {
    const cw = await claudeWorld({
      max_turns_per_attempt: 7,
      max_cost_usd_per_card: 2.5,
      model: "claude-policy-model",
    });
    await cw.standIn.script(priced(commitScript("src/total.ts", "Added the total."), 0.125));
    const { run_id, state } = await build(cw, fixtureId(71_001));

    expect(state.run.phase).toBe("awaiting_approval");
    const card = state.assignments[0];
    expect(card?.phase).toBe("awaiting_approval");
    expect(state.executions).toHaveLength(1);
    const execution = state.executions[0];
    expect(execution).toMatchObject({
      status: "completed",
      outcome: "committed",
      session_id: execution?.id,
      // 3 turns of 1000 fresh + 400 cache-read input and 200 output tokens; cache reads are input too.
      usage: { input_tokens: 4_200, output_tokens: 600, cached_input_tokens: 1_200 },
      cost_usd: 0.375,
      num_turns: 3,
      terminal_reason: "completed",
      permission_denials: [],
      final_message: "Added the total.",
    });
    expect(state.agent_spend).toEqual({
      cost_usd: 0.375,
      tokens: 4_800,
      turns: 3,
      attempts: 1,
      attempts_without_cost: 0,
    });

    // The stand-in ran once, in the card's worktree, as session <execution id>, held to the policy's limits.
    const runs = cw.standIn.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.cwd).toBe(card?.worktree_path);
    expect(runs[0]?.argv).toContain(`--session-id=${execution?.id}`);
    expect(runs[0]?.argv).toContain("--max-turns=7");
    expect(runs[0]?.argv).toContain("--max-budget-usd=2.5");
    expect(runs[0]?.argv).toContain("--model=claude-policy-model");

    // What rungate read from git is what the agent committed.
    const files = (
      await cw.w.ports.git.changedFiles({
        clone_path: state.run.worktree_root ?? "",
        base: card?.base_sha ?? "",
        head: card?.head_sha ?? "",
      })
    )._unsafeUnwrap();
    expect(files.map((f) => f.path)).toEqual(["src/total.ts"]);
    expect(state.checks.filter((c) => c.check_type === "unit").map((c) => c.status)).toEqual(["passed"]);
    // The report also survives a fresh read of the store (not only the orchestrator's answer).
    expect((await readBack(cw.w, run_id)).executions[0]?.cost_usd).toBe(0.375);
  }, 60_000);

  it("a forbidden write is refused before it happens; the card goes on with its allowed commit", async () => {
    const cw = await claudeWorld({ max_turns_per_attempt: 10 });
    const commit = commitScript("src/total.ts", "Added the total.");
    await cw.standIn.script({
      ...commit,
      // `src/.env` is inside the card's allowed `src/**` but matches the policy's forbidden `**/.env`.
      steps: [{ tool: "Write", input: { file_path: "src/.env", content: "SECRET=1\n" } }, ...commit.steps],
    });
    const { state } = await build(cw, fixtureId(71_002));

    expect(state.run.phase).toBe("awaiting_approval");
    const card = state.assignments[0];
    const worktree = card?.worktree_path ?? "";
    expect(worktree).not.toBe("");
    expect(existsSync(join(worktree, "src", ".env"))).toBe(false);
    // No commit on the branch ever held it.
    const clone = state.run.worktree_root ?? "";
    const branch = card?.feature_branch ?? "";
    expect((await gitIn(clone, "log", "--format=%H", branch, "--", "src/.env")).trim()).toBe("");
    expect((await gitIn(clone, "ls-tree", "-r", "--name-only", branch)).split("\n")).not.toContain(
      "src/.env",
    );

    const execution = state.executions[0];
    expect(execution).toMatchObject({
      status: "completed",
      outcome: "committed",
      terminal_reason: "completed",
      num_turns: 4,
    });
    expect(execution?.permission_denials).toEqual([
      { tool: "Write", path: "src/.env", reason: expect.stringContaining("**/.env") },
    ]);
    const files = (
      await cw.w.ports.git.changedFiles({
        clone_path: clone,
        base: card?.base_sha ?? "",
        head: card?.head_sha ?? "",
      })
    )._unsafeUnwrap();
    expect(files.map((f) => f.path)).toEqual(["src/total.ts"]);
  }, 60_000);

  it("a runaway agent stops at the card's dollar budget: the card fails budget_exhausted", async () => {
    const cw = await claudeWorld({ max_cost_usd_per_card: 0.25, max_attempts: 5 });
    const commit = commitScript("src/total.ts", "Added the total.");
    // It commits in 3 turns, then keeps talking: $0.0625 a turn passes $0.25 on its 5th turn.
    await cw.standIn.script(
      priced(
        { ...commit, steps: [...commit.steps, { repeat: 50, say: "Let me improve it once more." }] },
        0.0625,
      ),
    );
    const { run_id, state } = await build(cw, fixtureId(71_003));

    expect(state.run.phase).toBe("failed");
    const card = state.assignments[0];
    expect(card?.phase).toBe("failed");
    expect(card?.failure?.kind).toBe("budget_exhausted");
    const execution = state.executions[0];
    expect(execution).toMatchObject({
      status: "failed",
      outcome: "agent_error",
      session_id: execution?.id,
      terminal_reason: "budget",
      cost_usd: 0.3125,
      num_turns: 5,
    });
    // Claude Code stopped itself at the budget: its own account (summary, exit code) is what is stored.
    expect(execution?.summary ?? "").toMatch(/budget/i);
    expect(execution?.exit_code).toBe(0);
    expect(state.agent_spend.cost_usd).toBe(0.3125);
    const runs = cw.standIn.runs();
    expect(runs).toHaveLength(1);
    expect(runs[0]?.argv).toContain("--max-budget-usd=0.25");
    // What it committed before the budget ran out was not judged: no checks ran, nobody was asked.
    expect(state.checks.filter((c) => c.check_type === "unit")).toEqual([]);
    expect(state.approvals).toEqual([]);

    // A failed card is final: a further attempt is refused before any budget is looked at, and nothing starts.
    const again = (await cw.orchestrator.redispatch({ assignment_id: card?.id ?? "" }))._unsafeUnwrapErr();
    expect([again.kind, again.code]).toEqual(["invalid_transition", "redispatch_not_allowed"]);
    expect(cw.standIn.runs()).toHaveLength(1);
    expect((await readBack(cw.w, run_id)).executions).toHaveLength(1);
  }, 60_000);

  it("a redispatch gets what is left of the card's budget; once it is spent, one is refused", async () => {
    const cw = await claudeWorld({ max_cost_usd_per_card: 0.75, max_attempts: 5 });
    // Each attempt takes 3 turns at $0.125: $0.375, half the card's budget.
    await cw.standIn.script(priced(commitScript("src/total.ts", "Added the total."), 0.125));
    const { run_id, state } = await build(cw, fixtureId(71_004));
    expect(state.run.phase).toBe("awaiting_approval");
    const card_id = state.assignments[0]?.id ?? "";
    const first = state.executions[0];
    expect(first?.cost_usd).toBe(0.375);
    await reject(cw, run_id);

    await cw.standIn.script(priced(commitScript("src/fee.ts", "Added the fee."), 0.125));
    const redone = (
      await cw.orchestrator.redispatch({ assignment_id: card_id, feedback: "Add a fee instead." })
    )._unsafeUnwrap();
    expect(redone.assignment.phase).toBe("awaiting_approval");
    const after = (await cw.orchestrator.getRun(run_id))._unsafeUnwrap();
    const second = after.executions.find((e) => e.attempt === 2);
    expect(second).toMatchObject({
      status: "completed",
      outcome: "committed",
      session_id: second?.id,
      cost_usd: 0.375,
      terminal_reason: "completed",
    });
    // The second start forks the first session into its own, held to the $0.375 left of $0.75.
    const runs = cw.standIn.runs();
    expect(runs).toHaveLength(2);
    expect(runs[1]?.argv).toContain("--max-budget-usd=0.375");
    expect(runs[1]?.argv).toContain(`--resume=${first?.id}`);
    expect(runs[1]?.argv).toContain("--fork-session");
    expect(runs[1]?.argv).toContain(`--session-id=${second?.id}`);
    expect(cw.standIn.prompts()[1]?.prompt).toContain("Add a fee instead.");
    expect(after.agent_spend).toMatchObject({ cost_usd: 0.75, attempts: 2, turns: 6 });

    // The card's $0.75 is spent: a third attempt is refused, the card stays where it was, nothing starts.
    await reject(cw, run_id);
    const refused = (await cw.orchestrator.redispatch({ assignment_id: card_id }))._unsafeUnwrapErr();
    expect([refused.kind, refused.code]).toEqual(["conflict", "budget_exhausted"]);
    const end = (await cw.orchestrator.getRun(run_id))._unsafeUnwrap();
    expect(end.assignments[0]?.phase).toBe("approval_rejected");
    expect(end.executions).toHaveLength(2);
    expect(cw.standIn.runs()).toHaveLength(2);
  }, 60_000);
});
