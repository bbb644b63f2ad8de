/**
 * The shop's policy driving whole runs: an orchestrator on rungate's in-memory ports (a git with real files
 * per branch, a store that keeps versions like Postgres, an agent that commits what we script, checks that
 * answer what we script). A run takes a few tens of milliseconds, so every rule can have its own run.
 */
import { type CardInput, createOrchestrator, type GateReason, type RungateError } from "rungate";
import {
  type AgentScriptStep,
  type CheckRunnerScript,
  createInMemoryPorts,
  expectErr,
  expectOk,
} from "rungate/testing";
import { describe, expect, it } from "vitest";
import { SHOP_FILES, SHOP_REPO_URL, shopCard, shopPolicy, shopRun } from "../src/policy.js";

/** A card that may write the app and its tests; it plans the approval its folder may need (src/billing/). */
const appCard = shopCard(10, ["src/", "test/"], {
  title: "Add a cart total",
  planned_approvals: ["protected_path_change"],
});
/** A card for the manifest and the migrations, both protected. */
const dataCard = shopCard(11, ["src/", "migrations/", "package.json"], {
  title: "Store cart totals",
  planned_approvals: ["protected_path_change"],
});

interface BuildOptions {
  /** What the agent does on the card's 1st, 2nd… dispatch (default: one small commit inside the card). */
  readonly agent?: readonly AgentScriptStep[];
  readonly checks?: CheckRunnerScript;
  readonly initiated_by?: string;
  readonly planned_checks?: string[];
}

/** Builds `card` of the shop with `shopPolicy` until it waits on a person (or stops). */
async function build(card: CardInput, options: BuildOptions = {}) {
  const ports = createInMemoryPorts({
    remotes: { [SHOP_REPO_URL]: SHOP_FILES },
    ...(options.agent === undefined ? {} : { agent: { [card.card_id]: options.agent } }),
    ...(options.checks === undefined ? {} : { checks: options.checks }),
  });
  const orchestrator = createOrchestrator(ports);
  const input = {
    ...shopRun(card, options.initiated_by),
    ...(options.planned_checks === undefined ? {} : { planned_checks: options.planned_checks }),
  };
  const outcome = expectOk(await orchestrator.triggerBuild({ ...input, policy: shopPolicy }));
  const assignment = outcome.assignments[0];
  if (assignment === undefined) throw new Error("the run has no card");
  return { ports, orchestrator, outcome, assignment };
}

/** One agent step: a single commit writing each path. */
const writes = (...paths: string[]): AgentScriptStep[] => [
  { commits: [{ files: Object.fromEntries(paths.map((p) => [p, `written by the agent: ${p}\n`])) }] },
];

/** The reasons of a closed gate. */
function reasonsOf(error: RungateError): GateReason[] {
  return error.kind === "gate_closed" ? [...error.detail.reasons] : [];
}

describe("a run of the shop: writes that stop a card before anyone is asked", () => {
  const stopped: [string, string][] = [
    ["src/.env", "forbidden"],
    ["src/config/.env.production", "forbidden"],
    ["test/fixtures/server.pem", "forbidden"],
    ["src/auth/signing.key", "forbidden"],
    ["secrets/prod.json", "forbidden"],
    ["infra/main.tf", "forbidden"],
    [".github/workflows/deploy.yml", "forbidden"],
    ["README.md", "outside the card"],
    ["docs/cart.md", "outside the card"],
    ["package.json", "outside the card"], // protected, and this card may not write it at all
  ];

  it.each(stopped)("an agent writing %s (%s) fails the card, runs no check and asks nobody", async (path) => {
    const { ports, outcome, assignment } = await build(appCard, { agent: writes("src/cart/total.ts", path) });
    expect(assignment.phase).toBe("failed");
    expect(assignment.failure?.kind).toBe("path_violation");
    expect(assignment.failure?.message).toContain(path);
    expect(outcome.run.phase).toBe("failed");
    expect(outcome.approvals).toEqual([]);
    expect(ports.checks.runs).toEqual([]);
  });

  it("an agent that commits nothing fails the card as no_changes", async () => {
    const { assignment, outcome } = await build(appCard, { agent: [{ commits: [] }] });
    expect(assignment.phase).toBe("failed");
    expect(outcome.approvals).toEqual([]);
  });

  it("an agent that commits straight onto main fails the card", async () => {
    const { assignment, outcome } = await build(appCard, {
      agent: [{ commits: [{ files: { "src/cart/total.ts": "x\n" }, branch: "main" }] }],
    });
    expect(assignment.phase).toBe("failed");
    expect(outcome.approvals).toEqual([]);
  });

  it("an agent that leaves work uncommitted fails the card", async () => {
    const { assignment } = await build(appCard, {
      agent: [
        { commits: [{ files: { "src/cart/total.ts": "x\n" } }], uncommitted: { "src/cart/wip.ts": "y\n" } },
      ],
    });
    expect(assignment.phase).toBe("failed");
  });
});

describe("a run of the shop: every required check must pass on the head", () => {
  const notPassing: [string, "failed" | "error"][] = [
    ["lint", "failed"],
    ["lint", "error"],
    ["unit", "failed"],
    ["unit", "error"],
    ["security", "failed"],
    ["security", "error"],
  ];

  it.each(notPassing)("%s %s: checks_failed, and the approval gate names it", async (check, status) => {
    const { orchestrator, outcome, assignment } = await build(appCard, { checks: { [check]: status } });
    expect(outcome.run.phase).toBe("checks_failed");
    expect(assignment.phase).toBe("checks_failed");
    expect(outcome.approvals).toEqual([]);
    const refused = expectErr(await orchestrator.requestApproval({ assignment_id: assignment.id }), {
      kind: "gate_closed",
    });
    expect(reasonsOf(refused)).toEqual([
      expect.objectContaining({ code: "check_not_passed", subject: check }),
    ]);
  });

  it("runs every required check, and rungate's own policy check, on the card's head", async () => {
    const { ports, assignment } = await build(appCard);
    const ran = ports.checks.runs.map((r) => r.request.check_type).sort();
    expect(ran).toEqual(["lint", "security", "unit"]); // `policy` is judged by rungate itself
    expect(new Set(ports.checks.runs.map((r) => r.request.head_sha))).toEqual(new Set([assignment.head_sha]));
  });

  it("a failing check the policy does not require does not keep people out", async () => {
    const { outcome } = await build(appCard, {
      planned_checks: ["policy", "lint", "unit", "security", "e2e"],
      checks: { e2e: "failed" },
    });
    expect(outcome.run.phase).toBe("awaiting_approval");
  });

  it("a flaky check retried on the same head opens the gate once it passes", async () => {
    let unitRuns = 0;
    const { orchestrator, assignment } = await build(appCard, {
      checks: {
        unit: () => ({ status: unitRuns++ === 0 ? "failed" : "passed", output: "", duration_ms: 1 }),
      },
    });
    expect(assignment.phase).toBe("checks_failed");
    const retried = expectOk(
      await orchestrator.retryChecks({ assignment_id: assignment.id, requested_by: "user:ops" }),
    );
    expect(retried.result).toBe("awaiting_approval");
  });

  it("the security check fails on a secret the agent commits, whatever the scripted result", async () => {
    const key = "AKIA" + "Q3EGJ7XK2LMN4PRS"; // shaped like an AWS access key id
    const { outcome } = await build(appCard, {
      agent: [{ commits: [{ files: { "src/cart/client.ts": `export const awsKey = "${key}";\n` } }] }],
    });
    expect(outcome.run.phase).toBe("checks_failed");
    expect(outcome.checks.find((c) => c.check_type === "security")?.status).toBe("failed");
  });

  it("a new agent attempt after failing checks is checked again before anyone is asked", async () => {
    // `unit` fails on the first head it sees (the agent's first attempt) and passes on any later one.
    const heads: string[] = [];
    const unit = (request: { readonly head_sha: string }) => {
      if (!heads.includes(request.head_sha)) heads.push(request.head_sha);
      return {
        status: request.head_sha === heads[0] ? "failed" : "passed",
        output: "",
        duration_ms: 1,
      } as const;
    };
    const { orchestrator, assignment } = await build(appCard, {
      checks: { unit },
      agent: [...writes("src/cart/total.ts"), ...writes("src/cart/total.ts", "src/cart/fix.ts")],
    });
    expect(assignment.phase).toBe("checks_failed");
    const feedback = "totals of an empty cart must be 0";
    expectOk(
      await orchestrator.redispatch({ assignment_id: assignment.id, requested_by: "user:ana", feedback }),
    );
    const state = expectOk(await orchestrator.getRun(assignment.run_id));
    expect(state.assignments[0]?.phase).toBe("awaiting_approval");
    expect(heads).toHaveLength(2);
  });
});

describe("a run of the shop: the approvals a draft PR needs", () => {
  const protectedWrites = ["package.json", "migrations/002_totals.sql", "src/billing/invoice.ts"];

  it.each(protectedWrites)("changing %s adds the protected-path approval", async (path) => {
    const { outcome } = await build(dataCard, { agent: writes(path) });
    expect(outcome.run.phase).toBe("awaiting_approval");
    expect(outcome.approvals.map((a) => a.approval_type).sort()).toEqual([
      "code_review",
      "create_pr",
      "protected_path_change",
    ]);
  });

  it("a change outside protected paths needs create_pr and code_review only", async () => {
    const { outcome } = await build(appCard, { agent: writes("src/cart/total.ts", "test/cart.test.ts") });
    expect(outcome.approvals.map((a) => a.approval_type).sort()).toEqual(["code_review", "create_pr"]);
  });

  it("every approval request is bound to the head the checks passed on", async () => {
    const { outcome, assignment } = await build(appCard);
    expect(outcome.approvals.every((a) => a.head_sha === assignment.head_sha && a.status === "pending")).toBe(
      true,
    );
  });
});

describe("a run of the shop: who may approve", () => {
  /** A built card waiting on a person, and a way to decide its approvals (all, or those of `types`). */
  async function waiting(card = appCard, agent?: readonly AgentScriptStep[]) {
    const built = await build(card, agent === undefined ? {} : { agent });
    const decide = async (by: string, decision: "approve" | "reject" = "approve", types?: string[]) => {
      for (const approval of built.outcome.approvals) {
        if (types !== undefined && !types.includes(approval.approval_type)) continue;
        const decided = await built.orchestrator.recordApprovalDecision({
          run_id: built.outcome.run.id,
          approval_id: approval.id,
          decision,
          decided_by: by,
        });
        if (decided.isErr()) return decided.error;
      }
      return null;
    };
    const draft = () => built.orchestrator.createPullRequestCandidate({ assignment_id: built.assignment.id });
    return { ...built, decide, draft };
  }

  it("the person who started the run cannot approve it alone (four eyes)", async () => {
    const run = await waiting();
    expect(await run.decide("user:ana", "approve", ["create_pr"])).toBeNull();
    const refused = await run.decide("user:ana", "approve", ["code_review"]);
    expect(refused?.kind).toBe("gate_closed");
    expect(reasonsOf(refused ?? expectErr(await run.draft())).map((r) => r.code)).toEqual([
      "approval_not_independent",
    ]);
    expectErr(await run.draft(), { kind: "gate_closed" });
    expect(run.ports.pullRequests.requests).toEqual([]);
  });

  it("with a second person's approval the draft PR is created, as a draft", async () => {
    const run = await waiting();
    expect(await run.decide("user:ana", "approve", ["create_pr"])).toBeNull();
    expect(await run.decide("user:bob", "approve", ["code_review"])).toBeNull();
    const pr = expectOk(await run.draft());
    expect(pr.status).toBe("draft_open");
    expect(pr.head_sha).toBe(run.assignment.head_sha);
  });

  it("someone other than the initiator may approve everything", async () => {
    const run = await waiting();
    expect(await run.decide("user:bob")).toBeNull();
    expect(expectOk(await run.draft()).status).toBe("draft_open");
  });

  it("code review still pending keeps the PR gate closed", async () => {
    const run = await waiting();
    await run.decide("user:bob", "approve", ["create_pr"]);
    const refused = expectErr(await run.draft(), { kind: "gate_closed" });
    expect(reasonsOf(refused)).toContainEqual(
      expect.objectContaining({ code: "approval_pending", subject: "code_review" }),
    );
  });

  it("a protected change is not proposed without its own approval", async () => {
    const run = await waiting(dataCard, writes("migrations/002_totals.sql"));
    await run.decide("user:bob", "approve", ["create_pr", "code_review"]);
    const refused = expectErr(await run.draft(), { kind: "gate_closed" });
    expect(reasonsOf(refused)).toContainEqual(
      expect.objectContaining({ code: "approval_pending", subject: "protected_path_change" }),
    );
    await run.decide("user:carol", "approve", ["protected_path_change"]);
    expect(expectOk(await run.draft()).status).toBe("draft_open");
  });

  it("a rejection ends the card's way to a PR", async () => {
    const run = await waiting();
    await run.decide("user:bob", "reject", ["code_review"]);
    const state = expectOk(await run.orchestrator.getRun(run.outcome.run.id));
    expect(state.assignments[0]?.phase).toBe("approval_rejected");
    expectErr(await run.draft());
  });

  it.each(["agent:claude", "system:nightly", "pr_host:github"])(
    "%s cannot decide an approval",
    async (actor) => {
      const run = await waiting();
      const [approval] = run.outcome.approvals;
      const refused = await run.orchestrator.recordApprovalDecision({
        run_id: run.outcome.run.id,
        approval_id: approval?.id ?? "",
        decision: "approve",
        decided_by: actor,
      });
      expectErr(refused, { kind: "validation" });
    },
  );

  it("a decision is recorded once", async () => {
    const run = await waiting();
    await run.decide("user:bob", "approve", ["create_pr"]);
    const [first] = run.outcome.approvals.filter((a) => a.approval_type === "create_pr");
    const again = await run.orchestrator.recordApprovalDecision({
      run_id: run.outcome.run.id,
      approval_id: first?.id ?? "",
      decision: "reject",
      decided_by: "user:carol",
    });
    expectErr(again, { kind: "conflict", code: "already_decided" });
  });

  it("rungate never merges: the PR stays a draft until a person acts on the host", async () => {
    const run = await waiting();
    await run.decide("user:bob");
    const pr = expectOk(await run.draft());
    const observed = expectOk(
      await run.orchestrator.observePullRequest({ assignment_id: run.assignment.id }),
    );
    expect(observed.status).toBe("draft_open");
    expect(pr.pr_url).toBe(observed.pr_url);
  });
});

describe("a run of the shop: a person's stop", () => {
  it("a person cancels a run waiting on approval, and no draft PR can come of it", async () => {
    const { orchestrator, outcome, assignment, ports } = await build(appCard);
    const cancelled = expectOk(
      await orchestrator.cancelRun({ run_id: outcome.run.id, cancelled_by: "user:ana" }),
    );
    expect(cancelled.run.phase).toBe("cancelled");
    for (const approval of outcome.approvals) {
      await orchestrator.recordApprovalDecision({
        run_id: outcome.run.id,
        approval_id: approval.id,
        decision: "approve",
        decided_by: "user:bob",
      });
    }
    expectErr(await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id }));
    expect(ports.pullRequests.requests).toEqual([]);
  });

  it("an agent cannot cancel a run", async () => {
    const { orchestrator, outcome } = await build(appCard);
    expectErr(await orchestrator.cancelRun({ run_id: outcome.run.id, cancelled_by: "agent:claude" }), {
      kind: "validation",
    });
  });
});
