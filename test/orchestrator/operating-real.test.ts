/**
 * Operating runs on the real adapters: real git (simple-git, a local bare remote), real agent and check
 * processes, PGlite storage, the local PR host. The agent is a shell script per card (see hostile-world.ts).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createPgliteStorage, type PostgresStorage } from "../../src/adapters/postgres/index.js";
import { createOrchestrator } from "../../src/index.js";
import { fixtureId } from "../../src/testing/index.js";
import { hostileWorld, readBack } from "../hostile/hostile-world.js";

const opened: PostgresStorage[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
});

async function world(options: Parameters<typeof hostileWorld>[0] = {}) {
  const storage = (await createPgliteStorage())._unsafeUnwrap();
  opened.push(storage);
  return hostileWorld({ ...options, storage });
}

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const SLEEPY = 'echo "working on it"\nsleep 60';
const WORKS = 'echo "export const fee = 1;" > src/fee.js\ncommit "fee"';

describe("operating runs on real git, processes and PGlite", () => {
  it("cancel from another orchestrator stops a real agent process; its execution ends cancelled", async () => {
    const w = await world({ orchestrator: { cancel_poll_ms: 100 } });
    const card = fixtureId(61_001);
    await w.setScript(card, SLEEPY);
    const build = w.orchestrator.triggerBuild(w.request(card));
    let run_id = "";
    // Its first line reached the store as an agent.progress event: the agent runs and has spoken.
    await until("the agent speaks", 30_000, async () => {
      const runs = (await w.storage.listRuns({}))._unsafeUnwrap().runs;
      run_id = runs[0]?.id ?? "";
      if (run_id === "") return false;
      const { events } = await readBack(w, run_id);
      return events.some((e) => e.event_type === "agent.progress" && e.payload.message === "working on it");
    });
    const asked = Date.now();
    (await createOrchestrator(w.ports).cancelRun({ run_id, cancelled_by: "user:ana" }))._unsafeUnwrap();
    expect((await build)._unsafeUnwrapErr().kind).toBe("cancelled");
    expect(Date.now() - asked).toBeLessThan(10_000);
    const state = await readBack(w, run_id);
    expect(state.executions.map((e) => e.status)).toEqual(["cancelled"]);
    expect(state.executions[0]?.summary).toContain("working on it");
    expect(state.run.phase).toBe("cancelled");
  }, 60_000);

  it("an aborted call interrupts the attempt and resumeRun finishes the card with a new one", async () => {
    const w = await world();
    const card = fixtureId(61_002);
    await w.setScript(card, SLEEPY);
    const host = new AbortController();
    const build = w.orchestrator.triggerBuild(w.request(card), { signal: host.signal });
    let run_id = "";
    await until("the agent starts", 30_000, async () => {
      run_id = (await w.storage.listRuns({}))._unsafeUnwrap().runs[0]?.id ?? "";
      return run_id !== "" && (await readBack(w, run_id)).executions.some((e) => e.status === "running");
    });
    host.abort(new Error("SIGTERM"));
    expect((await build)._unsafeUnwrapErr().kind).toBe("cancelled");
    const stopped = await readBack(w, run_id);
    expect(stopped.assignments[0]?.phase).toBe("ready");
    expect(stopped.executions.map((e) => e.status)).toEqual(["interrupted"]);

    await w.setScript(card, WORKS);
    const resumed = (await w.orchestrator.resumeRun(run_id))._unsafeUnwrap();
    expect(resumed.run.phase).toBe("awaiting_approval");
    expect(resumed.executions.map((e) => [e.status, e.attempt])).toEqual([
      ["interrupted", 1],
      ["completed", 2],
    ]);
  }, 60_000);

  it("retryChecks turns a flaky check green without a new agent run", async () => {
    const w0 = await world();
    const flag = join(w0.dir, "flaky-once");
    const flaky = join(w0.dir, "flaky.sh");
    // Fails the first time it runs (and leaves a flag outside the tree), passes after.
    await writeFile(
      flaky,
      `if [ ! -e '${flag}' ]; then touch '${flag}'; echo 'ECONNRESET'; exit 1; fi\nexec node test/run.mjs\n`,
    );
    const w = await world({ checks: { unit: { command: ["/bin/sh", flaky], timeout_ms: 60_000 } } });
    const run_id = await w.build(WORKS);
    const failed = await readBack(w, run_id);
    expect(failed.run.phase).toBe("checks_failed");
    expect(failed.checks.find((c) => c.check_type === "unit")?.output).toContain("ECONNRESET");
    const retried = (
      await w.orchestrator.retryChecks({ assignment_id: failed.assignments[0]?.id ?? "" })
    )._unsafeUnwrap();
    expect(retried.result).toBe("awaiting_approval");
    const after = await readBack(w, run_id);
    expect(after.run.phase).toBe("awaiting_approval");
    expect(after.executions).toHaveLength(1);
    expect(after.checks.filter((c) => c.check_type === "unit").map((c) => c.status)).toEqual([
      "failed",
      "passed",
    ]);
  }, 60_000);

  it("a card rebuilt after a failed run reaches a draft PR without the failed attempt's work", async () => {
    const w = await world();
    const card = fixtureId(61_004);
    await w.setScript(
      card,
      'mkdir -p secrets && echo "k" > secrets/key.txt\necho "x" > src/x.js\ncommit "bad"',
    );
    const failed = (await w.orchestrator.triggerBuild(w.request(card)))._unsafeUnwrap();
    expect(failed.run.phase).toBe("failed");
    await w.setScript(card, WORKS);
    const rebuilt = (await w.orchestrator.triggerBuild(w.request(card)))._unsafeUnwrap();
    expect(rebuilt.run.phase).toBe("awaiting_approval");
    const a = rebuilt.assignments[0];
    (
      await w.orchestrator.recordApprovalDecision({
        run_id: rebuilt.run.id,
        approval_id: rebuilt.approvals[0]?.id ?? "",
        decision: "approve",
        decided_by: "user:ana",
      })
    )._unsafeUnwrap();
    const pr = (
      await w.orchestrator.createPullRequestCandidate({ assignment_id: a?.id ?? "" })
    )._unsafeUnwrap();
    expect(pr.status).toBe("draft_open");
    expect(w.remoteTip(a?.feature_branch ?? "")).toBe(a?.head_sha);
    const files = (
      await w.ports.git.changedFiles({
        clone_path: rebuilt.run.worktree_root ?? "",
        base: a?.base_sha ?? "",
        head: a?.head_sha ?? "",
      })
    )._unsafeUnwrap();
    expect(files.map((f) => f.path)).toEqual(["src/fee.js"]);
  }, 60_000);

  it("refuses an agent actor's approval", async () => {
    const w = await world();
    const run_id = await w.build(WORKS);
    const { approvals } = await readBack(w, run_id);
    const refused = await w.orchestrator.recordApprovalDecision({
      run_id,
      approval_id: approvals[0]?.id ?? "",
      decision: "approve",
      decided_by: "agent:coder",
    });
    expect(refused._unsafeUnwrapErr().kind).toBe("validation");
    expect((await readBack(w, run_id)).approvals[0]?.status).toBe("pending");
  }, 60_000);
});
