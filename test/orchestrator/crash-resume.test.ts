import { errAsync, ResultAsync } from "neverthrow";
import { describe, expect, it } from "vitest";
import {
  type BuildOutcome,
  type CreateRunRequest,
  createOrchestrator,
  type RungatePorts,
  rungateError,
} from "../../src/index.js";
import { createInMemoryPorts, type InMemoryPorts } from "../../src/testing/index.js";
import { cardRequest, workflowRequest } from "./helpers.js";

type Mode = "before" | "after";

const PORT_METHODS: Record<string, readonly string[]> = {
  git: [
    "ensureClone",
    "createFeatureBranch",
    "createWorktree",
    "removeWorktree",
    "headSha",
    "changedFiles",
    "fileDiff",
    "fileContent",
    "commitsSince",
    "push",
  ],
  storage: [
    "write",
    "getRun",
    "getAssignment",
    "listAssignments",
    "listChecks",
    "listApprovals",
    "listPullRequests",
    "listExecutions",
    "listCommits",
    "listEvents",
  ],
  dispatcher: ["dispatch"],
  checks: ["run"],
  pullRequests: ["createDraftPullRequest", "getPullRequest"],
};

/**
 * The ports of a process that dies at its `crashAt`-th port call: `before` the call happens, or `after` it
 * happened but before its answer is used. Every call after the crash fails too (the process is gone).
 */
function crashingPorts(
  base: InMemoryPorts,
  crashAt: number,
  mode: Mode,
): { ports: RungatePorts; calls: () => number } {
  let calls = 0;
  let dead = false;
  const crash = () =>
    rungateError("port_failure", "crashed", {
      port: "any",
      adapter: "crash",
      operation: "crash",
      retryable: true,
    });
  const wrap = <T extends object>(port: T, methods: readonly string[]): T =>
    new Proxy(port, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof prop !== "string" || !methods.includes(prop) || typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (dead) return errAsync(crash());
          calls++;
          if (calls !== crashAt) return value.apply(target, args);
          dead = true;
          if (mode === "before") return errAsync(crash());
          const real = value.apply(target, args) as ResultAsync<unknown, unknown>;
          return new ResultAsync(Promise.resolve(real).then(() => errAsync(crash())));
        };
      },
    });
  const ports: RungatePorts = {
    ...base,
    git: wrap(base.git, PORT_METHODS.git ?? []),
    storage: wrap(base.storage, PORT_METHODS.storage ?? []),
    dispatcher: wrap(base.dispatcher, PORT_METHODS.dispatcher ?? []),
    checks: wrap(base.checks, PORT_METHODS.checks ?? []),
    pullRequests: wrap(base.pullRequests, PORT_METHODS.pullRequests ?? []),
  };
  return { ports, calls: () => calls };
}

/** The final state with ids and times left out: what must be equal whether or not the process crashed. */
function essence(outcome: BuildOutcome, ports: InMemoryPorts) {
  const byCard = [...outcome.assignments].sort((a, b) => a.card_id.localeCompare(b.card_id));
  return {
    run: [outcome.run.phase, outcome.run.status],
    assignments: byCard.map((a) => ({
      card: a.card_id,
      phase: a.phase,
      // Shas differ between processes (commit times, execution ids in the agent's file); what must hold is
      // that there is a head and everything recorded is bound to it.
      head: a.head_sha === null ? null : "set",
      checks: outcome.checks
        .filter((c) => c.assignment_id === a.id && c.head_sha === a.head_sha)
        .map((c) => `${c.check_type}:${c.status}`)
        .sort(),
      approvals: outcome.approvals
        .filter((x) => x.assignment_id === a.id)
        .map(
          (x) => `${x.approval_type}:${x.status}:${x.head_sha === a.head_sha ? "current head" : x.head_sha}`,
        ),
      agent_runs: ports.dispatcher.dispatches.filter((d) => d.card_id === a.card_id).length,
    })),
  };
}

async function uninterrupted(request: CreateRunRequest) {
  const base = createInMemoryPorts();
  const counted = crashingPorts(base, Number.POSITIVE_INFINITY, "before");
  const outcome = (await createOrchestrator(counted.ports).triggerBuild(request))._unsafeUnwrap();
  return { expected: essence(outcome, base), calls: counted.calls() };
}

describe("resume after a crash", () => {
  for (const [name, request] of [
    ["a card run", cardRequest({ idempotency_key: "crash-card" })],
    ["a 3-card workflow", { ...workflowRequest(3), idempotency_key: "crash-flow" }],
  ] as const) {
    it(`${name}: a crash at every port call, before or after it, resumes to the uninterrupted final state without a second dispatch`, {
      timeout: 120_000,
    }, async () => {
      const { expected, calls } = await uninterrupted(request);
      expect(calls).toBeGreaterThan(20);
      for (const agent of expected.assignments) expect(agent.agent_runs).toBe(1);
      for (let crashAt = 1; crashAt <= calls; crashAt++) {
        for (const mode of ["before", "after"] as const) {
          const base = createInMemoryPorts();
          const crashed = await createOrchestrator(crashingPorts(base, crashAt, mode).ports).triggerBuild(
            request,
          );
          expect(crashed.isErr(), `crash at call ${crashAt} (${mode}) should surface as an error`).toBe(true);
          // A new process: same storage, same repository, same agent; the host retries with the same key.
          const resumed = await createOrchestrator(base).triggerBuild(request);
          expect(
            resumed.isOk(),
            `resume after crash at ${crashAt} (${mode}): ${resumed.isErr() ? resumed.error.message : ""}`,
          ).toBe(true);
          expect(essence(resumed._unsafeUnwrap(), base), `crash at call ${crashAt} (${mode})`).toEqual(
            expected,
          );
        }
      }
    });
  }

  it("the person's half: a crash at every port call while recording the approval and drafting the PR ends with exactly one draft PR", {
    timeout: 60_000,
  }, async () => {
    const request = cardRequest({ idempotency_key: "crash-pr" });
    const finish = async (ports: RungatePorts, runId: string, approvalId: string, assignmentId: string) => {
      const o = createOrchestrator(ports);
      const decided = await o.recordApprovalDecision({
        run_id: runId,
        approval_id: approvalId,
        decision: "approve",
        decided_by: "alice",
      });
      // A retried decision that already landed is a conflict the host can take as "done".
      if (decided.isErr() && decided.error.code !== "already_decided") return decided.map(() => undefined);
      return o.createPullRequestCandidate({ assignment_id: assignmentId }).map(() => undefined);
    };
    const probe = createInMemoryPorts();
    const built = (await createOrchestrator(probe).triggerBuild(request))._unsafeUnwrap();
    const counted = crashingPorts(probe, Number.POSITIVE_INFINITY, "before");
    const ids = {
      run: built.run.id,
      approval: built.approvals[0]?.id ?? "",
      assignment: built.assignments[0]?.id ?? "",
    };
    (await finish(counted.ports, ids.run, ids.approval, ids.assignment))._unsafeUnwrap();
    const calls = counted.calls();
    // Reads, the decision, the push, the PR host and the PR's write at least (9 calls since the run's moves
    // ride in the steps' own writes): a sweep over fewer would prove little.
    expect(calls).toBeGreaterThan(6);
    for (let crashAt = 1; crashAt <= calls; crashAt++) {
      for (const mode of ["before", "after"] as const) {
        const base = createInMemoryPorts();
        const again = (await createOrchestrator(base).triggerBuild(request))._unsafeUnwrap();
        const same = {
          run: again.run.id,
          approval: again.approvals[0]?.id ?? "",
          assignment: again.assignments[0]?.id ?? "",
        };
        expect(
          (
            await finish(crashingPorts(base, crashAt, mode).ports, same.run, same.approval, same.assignment)
          ).isErr(),
        ).toBe(true);
        const resumed = await finish(base, same.run, same.approval, same.assignment);
        expect(
          resumed.isOk(),
          `crash at ${crashAt} (${mode}): ${resumed.isErr() ? resumed.error.message : ""}`,
        ).toBe(true);
        const state = (await createOrchestrator(base).getRun(same.run))._unsafeUnwrap();
        expect(state.assignments[0]?.phase, `crash at ${crashAt} (${mode})`).toBe("pr_open");
        expect(state.run.phase, `run after crash at ${crashAt} (${mode})`).toBe("pr_open");
        expect(state.pull_requests).toHaveLength(1);
        expect(base.pullRequests.pullRequests).toHaveLength(1);
        expect(state.approvals.map((a) => [a.status, a.resolved_by])).toEqual([["approved", "user:alice"]]);
      }
    }
  });

  it("resumeRun continues a stored run by id", async () => {
    const base = createInMemoryPorts();
    const created = (await createOrchestrator(base).createRun(cardRequest()))._unsafeUnwrap();
    const resumed = (await createOrchestrator(base).resumeRun(created.run.id))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
    expect(base.dispatcher.dispatches).toHaveLength(1);
  });
});
