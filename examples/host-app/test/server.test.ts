/**
 * The host app over real HTTP, with rungate's in-memory ports behind it: every request goes through
 * `node:http`, the orchestrator and the fakes, and every event a client sees comes from the stored log.
 */
import { createOrchestrator, type TypedRunEvent } from "rungate";
import {
  createInMemoryPorts,
  FIXTURE_REPO_URL,
  fixtureId,
  type InMemoryPorts,
  type InMemoryPortsOptions,
  policyFixture,
} from "rungate/testing";
import { afterEach, describe, expect, it } from "vitest";
import { createHostApp, type HostApp } from "../src/server.js";
import { readSse } from "../src/sse-client.js";

const card_id = fixtureId(100);
const cart = { card_id, title: "Add a cart total", allowed_paths: ["src/**", "test/**"] };

const running: HostApp[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

/** What the API answered. */
interface Reply {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a test reads whatever JSON came back
  readonly body: any;
}

/** Starts the app on a free port, on in-memory ports scripted by `options`. */
async function start(options: InMemoryPortsOptions = {}) {
  const ports: InMemoryPorts = createInMemoryPorts(options);
  const orchestrator = createOrchestrator(ports);
  const app = createHostApp({
    orchestrator,
    project: {
      project_id: fixtureId(1),
      repo_url: FIXTURE_REPO_URL,
      base_branch: "main",
      policy: policyFixture(),
    },
    log: () => {},
  });
  running.push(app);
  const url = await app.listen(0);

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    user: string | null = "ana",
  ): Promise<Reply> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { ...(user === null ? {} : { "x-user": user }), "content-type": "application/json" },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json() };
  };

  /**
   * Follows a run's event stream until `until` says stop (then disconnects, as a browser tab that closes), or
   * until the server ends it. Answers the events seen and whether the server sent `end`.
   */
  const follow = async (
    run_id: string,
    until: (e: TypedRunEvent) => boolean = () => false,
    lastEventId?: number,
  ) => {
    const disconnect = new AbortController();
    const response = await fetch(`${url}/runs/${run_id}/events`, {
      headers: {
        "x-user": "ana",
        ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }),
      },
      signal: disconnect.signal,
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events: TypedRunEvent[] = [];
    let ended = false;
    try {
      for await (const message of readSse(response)) {
        if (message.event === "end") {
          ended = true;
          break;
        }
        const event = JSON.parse(message.data) as TypedRunEvent;
        expect(message.id).toBe(String(event.sequence));
        events.push(event);
        if (until(event)) break;
      }
    } finally {
      disconnect.abort();
    }
    return { events, ended };
  };

  return { ports, orchestrator, app, url, api, follow };
}

const reaches = (phase: string) => (e: TypedRunEvent) =>
  e.event_type === "run.transitioned" && e.payload.to === phase;

describe("host app: a card from trigger to draft PR", () => {
  it("triggers, streams until a person is needed, approves, and shows the draft PR", async () => {
    const { api, follow } = await start();
    const triggered = await api("POST", "/runs", cart);
    expect(triggered.status).toBe(202);
    const { run_id } = triggered.body;
    expect(triggered.body.links.events).toBe(`/runs/${run_id}/events`);

    const { events } = await follow(run_id, reaches("awaiting_approval"));
    expect(events[0]?.event_type).toBe("run.created");
    expect(events.map((e) => e.event_type)).toContain("check.completed");
    expect(events.at(-1)).toMatchObject({ payload: { to: "awaiting_approval" } });

    const run = await api("GET", `/runs/${run_id}`);
    const [approval] = run.body.approvals;
    expect(approval).toMatchObject({ approval_type: "create_pr", status: "pending" });

    const approved = await api(
      "POST",
      `/runs/${run_id}/approvals/${approval.id}`,
      { notes: "Looks right." },
      "bob",
    );
    expect(approved.status).toBe(201);
    expect(approved.body.approval).toMatchObject({ status: "approved", resolved_by: "user:bob" });
    expect(approved.body.pull_request).toMatchObject({ status: "draft_open" });

    const after = await api("GET", `/runs/${run_id}`);
    expect(after.body.pull_requests).toHaveLength(1);
    expect(after.body.assignments[0].phase).toBe("pr_open");
  });

  it("lists runs by phase, and refuses a malformed query", async () => {
    const { api, app } = await start();
    const { body } = await api("POST", "/runs", cart);
    await app.idle();
    const waiting = await api("GET", "/runs?phase=awaiting_approval");
    expect(waiting.body.runs.map((r: { id: string }) => r.id)).toEqual([body.run_id]);
    expect((await api("GET", "/runs?phase=failed")).body.runs).toEqual([]);
    const bad = await api("GET", "/runs?limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.error.kind).toBe("validation");
  });

  it("a client retrying with the same idempotency key gets the same run, built once", async () => {
    const { api, app, ports } = await start();
    const first = await api("POST", "/runs", { ...cart, idempotency_key: "board-click-42" });
    const again = await api("POST", "/runs", { ...cart, idempotency_key: "board-click-42" });
    expect([first.status, again.status]).toEqual([202, 200]);
    expect(again.body.run_id).toBe(first.body.run_id);
    await app.idle();
    expect(ports.dispatcher.dispatches).toHaveLength(1);
  });

  it("resumes a stream after the last event a client saw (Last-Event-ID)", async () => {
    const { api, follow, app } = await start();
    const { body } = await api("POST", "/runs", cart);
    await app.idle();
    const first = await follow(body.run_id, reaches("awaiting_approval"));
    const seen = first.events[4]?.sequence ?? 0;
    const resumed = await follow(body.run_id, reaches("awaiting_approval"), seen);
    expect(resumed.events[0]?.sequence).toBe(seen + 1);
    expect(resumed.events.map((e) => e.sequence)).toEqual(first.events.slice(5).map((e) => e.sequence));
  });

  it("closes the stream, and rungate's reads, when the client disconnects", async () => {
    const { api, follow, app } = await start();
    const { body } = await api("POST", "/runs", cart);
    await follow(body.run_id, (e) => e.event_type === "run.created");
    for (let i = 0; i < 50 && app.openStreams > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(app.openStreams).toBe(0);
  });
});

describe("host app: a person stops a run", () => {
  it("cancels a run whose agent is still working; its stream ends with the run", async () => {
    // The agent "works" for 30 s: long enough to be cancelled, and it stops when told.
    const { api, follow, app } = await start({ agent: { [card_id]: [{ delay_ms: 30_000 }] } });
    const { body } = await api("POST", "/runs", cart);
    await follow(body.run_id, (e) => e.event_type === "agent.dispatched");

    const cancelled = await api("POST", `/runs/${body.run_id}/cancel`, {}, "ana");
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.run.phase).toBe("cancelled");

    const rest = await follow(body.run_id);
    expect(rest.ended).toBe(true);
    expect(rest.events.at(-1)?.event_type).not.toBe("agent.dispatched");
    await app.idle();
    const run = await api("GET", `/runs/${body.run_id}`);
    expect(run.body.executions[0].status).toBe("cancelled");
  });
});

describe("host app: a misbehaving agent", () => {
  it("writes a forbidden .env: the run is blocked, and approval is refused with the gate's reasons", async () => {
    const { api, follow } = await start({
      agent: {
        [card_id]: [{ commits: [{ files: { "src/cart/total.ts": "x\n", "src/.env": "DB_PASSWORD=x\n" } }] }],
      },
    });
    const { body } = await api("POST", "/runs", cart);
    const { events, ended } = await follow(body.run_id);
    expect(ended).toBe(true); // the run is finished: failed
    const collected = events.find((e) => e.event_type === "assignment.changes_collected");
    expect(collected?.event_type === "assignment.changes_collected" && collected.payload.ok).toBe(false);

    const run = await api("GET", `/runs/${body.run_id}`);
    expect(run.body.run.phase).toBe("failed");
    expect(run.body.approvals).toEqual([]);
    const [card] = run.body.assignments;
    expect(card.failure).toMatchObject({ kind: "path_violation" });
    expect(card.failure.message).toContain("src/.env");

    const asked = await api("POST", `/runs/${body.run_id}/cards/${card.id}/approval-request`, {}, "bob");
    expect(asked.status).toBe(409);
    expect(asked.body.error).toMatchObject({ kind: "gate_closed", code: "approval_gate_closed" });
    // The gate says first that the card failed, and why.
    expect(asked.body.error.detail.reasons[0]).toMatchObject({ code: "card_ended", subject: card.id });
    expect(asked.body.error.message).toMatch(
      /^The approval gate is closed: the card failed \(path_violation\): .*src\/\.env/,
    );
  });

  it("commits again after handing over: the approval is refused for the head it no longer has", async () => {
    const { api, app, ports } = await start();
    const { body } = await api("POST", "/runs", cart);
    await app.idle();
    const run = await api("GET", `/runs/${body.run_id}`);
    const [card] = run.body.assignments;
    // The agent's process lingered and committed a secret onto its branch after the checks passed.
    ports.git.commit({
      worktree_path: card.worktree_path,
      files: { "src/.env": "TOKEN=x\n" },
      message: "late",
    });

    const approved = await api(
      "POST",
      `/runs/${body.run_id}/approvals/${run.body.approvals[0].id}`,
      {},
      "bob",
    );
    expect(approved.status).toBe(409);
    expect(approved.body.error).toMatchObject({ kind: "conflict", code: "stale_approval" });
    expect(ports.pullRequests.requests).toEqual([]);

    const asked = await api("POST", `/runs/${body.run_id}/cards/${card.id}/approval-request`, {}, "bob");
    expect(asked.status).toBe(409);
    expect(asked.body.error.message).toContain("only ran on an older head");
  });
});

describe("host app: requests it refuses", () => {
  it("a body that does not parse: 400 with the field that is wrong", async () => {
    const { api } = await start();
    const reply = await api("POST", "/runs", { ...cart, allowed_paths: [] });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toMatchObject({ kind: "validation", code: "invalid_body" });
    expect(reply.body.error.detail.issues[0].path).toEqual(["allowed_paths"]);
    expect((await api("POST", "/runs", "{not json")).body.error.code).toBe("invalid_json");
  });

  it("a card the policy refuses: 422 with every violation, and nothing built", async () => {
    const { api, ports } = await start();
    const reply = await api("POST", "/runs", { ...cart, allowed_paths: ["secrets/**", "../up"] });
    expect(reply.status).toBe(422);
    expect(reply.body.error.kind).toBe("policy_violation");
    expect(reply.body.error.detail.violations.map((v: { code: string }) => v.code).sort()).toEqual([
      "allowed_path_forbidden",
      "invalid_path",
    ]);
    expect(ports.dispatcher.dispatches).toEqual([]);
  });

  it("unknown runs, routes and methods, and anonymous callers", async () => {
    const { api } = await start();
    expect((await api("GET", `/runs/${fixtureId(999)}`)).status).toBe(404);
    expect((await api("GET", `/runs/${fixtureId(999)}/events`)).status).toBe(404);
    expect((await api("GET", "/nowhere")).status).toBe(404);
    expect((await api("DELETE", "/runs")).status).toBe(405);
    expect((await api("GET", "/runs", undefined, null)).status).toBe(401);
  });

  it("a decision by someone rungate does not take for a person is refused", async () => {
    const { api, app } = await start();
    const { body } = await api("POST", "/runs", cart);
    await app.idle();
    const run = await api("GET", `/runs/${body.run_id}`);
    const reply = await api(
      "POST",
      `/runs/${body.run_id}/approvals/${run.body.approvals[0].id}`,
      {},
      "agent:claude",
    );
    expect(reply.status).toBe(401); // not even a well-formed person id
  });
});
