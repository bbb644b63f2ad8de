import { describe, expect, it } from "vitest";
import { CardAssignment } from "../../../src/core/schemas/card-assignment.js";
import type { AgentDispatchRequest } from "../../../src/ports/agent-dispatcher.js";
import { createInMemoryGit } from "../../../src/testing/fakes/in-memory-git.js";
import { createScriptedAgent } from "../../../src/testing/fakes/scripted-agent.js";
import { FIXTURE_TIME, fixtureId } from "../../../src/testing/fixtures.js";

const CARD = fixtureId(100);
const SLOW_CARD = fixtureId(101);

/** A request of execution `n` on `card`; the scripts below commit nothing, so no worktree is needed. */
function request(n: number, card = CARD): AgentDispatchRequest {
  const assignment = CardAssignment.parse({
    id: fixtureId(500),
    run_id: fixtureId(10),
    card_id: card,
    agent_role: "coder",
    agent_profile: null,
    feature_branch: "rungate/card",
    worktree_path: "/fake/repos/p/.worktrees/a",
    allowed_paths: ["src/**"],
    forbidden_paths: [],
    assignment_input_snapshot: {},
    status: "queued",
    phase: "ready",
    created_at: FIXTURE_TIME,
    updated_at: FIXTURE_TIME,
    version: 0,
  });
  return { run_id: fixtureId(10), execution_id: fixtureId(700 + n), assignment, task: "Do it" };
}

describe("a long-lived scripted agent remembers the newest finished executions and every running one", () => {
  it("joins a repeat of a remembered execution and plays a forgotten one anew", async () => {
    const agent = createScriptedAgent(createInMemoryGit(), { [CARD]: [{ commits: [] }] }, { log_limit: 3 });
    for (let n = 1; n <= 5; n++) expect((await agent.dispatch(request(n))).isOk()).toBe(true);

    await agent.dispatch(request(5));
    expect(agent.replays).toEqual([request(5).execution_id]);
    await agent.dispatch(request(1));
    expect(agent.replays).toEqual([request(5).execution_id]);
    expect(agent.dispatches.at(-1)?.execution_id).toBe(request(1).execution_id);
  });

  it("never forgets a running execution, however many finish after it", async () => {
    const agent = createScriptedAgent(
      createInMemoryGit(),
      { [CARD]: [{ commits: [] }], [SLOW_CARD]: [{ delay_ms: 600_000 }] },
      { log_limit: 2 },
    );
    const stop = new AbortController();
    const slow = agent.dispatch(request(0, SLOW_CARD), { signal: stop.signal });
    for (let n = 1; n <= 50; n++) await agent.dispatch(request(n));

    const joined = agent.dispatch(request(0, SLOW_CARD));
    expect(agent.replays).toEqual([request(0).execution_id]);
    stop.abort();
    expect((await slow)._unsafeUnwrapErr().kind).toBe("cancelled");
    expect((await joined)._unsafeUnwrapErr().kind).toBe("cancelled");
    expect(agent.dispatches.filter((d) => d.card_id === SLOW_CARD)).toHaveLength(0);
  });

  it("remembers the places in a script of several steps of its most recently dispatched cards only", async () => {
    const agent = createScriptedAgent(
      createInMemoryGit(),
      { "*": [{ commits: [] }, { commits: [] }] },
      { log_limit: 2 },
    );
    const [a, b, c] = [fixtureId(201), fixtureId(202), fixtureId(203)];
    let n = 0;
    for (const card of [a, b, a, c, b, a])
      expect((await agent.dispatch(request(++n, card))).isOk()).toBe(true);
    // a: step 0, then 1 (remembered); c pushes b out, so b starts over; b then pushes a out, so a starts over too.
    expect(agent.dispatches.map((d) => [d.card_id, d.step])).toEqual([
      [b, 0],
      [a, 0],
    ]);
    const big = createScriptedAgent(
      createInMemoryGit(),
      { "*": [{ commits: [] }, { commits: [] }] },
      { log_limit: 10 },
    );
    n = 100;
    for (const card of [a, b, a, c, b, a]) await big.dispatch(request(++n, card));
    expect(big.dispatches.map((d) => d.step)).toEqual([0, 0, 1, 0, 1, 1]);
  });
});
