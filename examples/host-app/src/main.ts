/**
 * The host app on rungate's real adapters: state in an embedded PGlite directory (rungate/postgres), a bare
 * clone and one git worktree per card (rungate/git), an agent program started per card (rungate/dispatch),
 * checks run as processes in a fresh checkout of the card's head (rungate/checks), draft PRs recorded on disk
 * (rungate/local). The HTTP API is `server.ts`; only the ports differ from the tests.
 *
 *   npm start                          serve on PORT (default 8080), state in ./.rungate-host
 *   npm start -- --data-dir /var/x     keep the state elsewhere
 *   npm start -- --repo <git url>      build your repository (default: a sample one made in the data dir)
 *   npm start -- --once                one card end to end over HTTP in a temporary directory, then exit
 */
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createOrchestrator, createRandomIds, createSystemClock, type TypedRunEvent } from "rungate";
import { createProcessCheckRunner } from "rungate/checks";
import { createCommandDispatcher } from "rungate/dispatch";
import { createSimpleGitAdapter } from "rungate/git";
import { createLocalPullRequestHost } from "rungate/local";
import { createPgliteStorage } from "rungate/postgres";
import { createHostApp, type HostedProject } from "./server.js";
import { readSse } from "./sse-client.js";

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const once = args.includes("--once");
const dataDir = once
  ? mkdtempSync(join(tmpdir(), "rungate-host-"))
  : resolve(option("--data-dir") ?? ".rungate-host");
const agentProgram = fileURLToPath(new URL("../agent/agent.mjs", import.meta.url));
mkdirSync(dataDir, { recursive: true });

/** A sample repository with a test suite, published to a bare remote in `dir`; answers the remote's path. */
function sampleRepository(dir: string): string {
  const remote = join(dir, "sample.git");
  if (existsSync(remote)) return remote;
  const seed = join(dir, "sample-seed");
  const git = (cwd: string, ...a: string[]) => execFileSync("git", a, { cwd, stdio: "pipe" });
  git(dir, "init", "-q", "--bare", "-b", "main", remote);
  git(dir, "init", "-q", "-b", "main", seed);
  const files: Record<string, string> = {
    "package.json": '{ "name": "sample", "private": true, "type": "module" }\n',
    "src/index.js": "export const ready = true;\n",
    "test/index.test.js":
      'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { ready } from "../src/index.js";\n\ntest("ready", () => assert.ok(ready));\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(seed, path)), { recursive: true });
    writeFileSync(join(seed, path), text);
  }
  git(seed, "add", "-A");
  git(seed, "-c", "user.name=ana", "-c", "user.email=ana@example.invalid", "commit", "-q", "-m", "sample");
  git(seed, "push", "-q", remote, "main");
  rmSync(seed, { recursive: true, force: true });
  return remote;
}

// The project, as your app would load it from its own database.
const project: HostedProject = {
  project_id: "6a0f0c9e-0000-4000-8000-0000000000aa",
  repo_url: option("--repo") ?? sampleRepository(dataDir),
  base_branch: "main",
  policy: {
    id: "6a0f0c9e-0000-4000-8000-000000000001",
    project_id: "6a0f0c9e-0000-4000-8000-0000000000aa",
    required_checks: ["policy", "lint", "unit"],
    protected_paths: ["package.json"],
    forbidden_paths: ["**/.env", "**/*.pem", "secrets/**"],
    dependency_policy: {},
    security_policy: {},
    architecture_policy: {},
    approval_policy: {},
    updated_at: "2026-03-01T09:00:00.000Z",
  },
};

const storage = (await createPgliteStorage({ dataDir: join(dataDir, "store") })).match(
  (s) => s,
  (e) => {
    console.error(`cannot open the store: ${e.message}`);
    process.exit(1);
  },
);
const orchestrator = createOrchestrator({
  storage,
  git: createSimpleGitAdapter({ root: join(dataDir, "repos") }),
  dispatcher: createCommandDispatcher({
    command: [process.execPath, agentProgram],
    state_dir: join(dataDir, "executions"), // durable: an execution starts its agent once, across restarts
    timeout_ms: 120_000,
  }),
  checks: createProcessCheckRunner({
    checks: {
      // Whitespace errors in what the card changed, against the base it branched from.
      lint: { command: ["git", "diff", "--check", "origin/main", "HEAD"] },
      unit: { command: [process.execPath, "--test"] },
    },
  }),
  pullRequests: createLocalPullRequestHost({ dir: join(dataDir, "pull-requests") }),
  clock: createSystemClock(),
  ids: createRandomIds(),
});
const app = createHostApp({ orchestrator, project, log: (line) => console.log(`  [build] ${line}`) });

async function stop(code: number): Promise<never> {
  await app.close();
  await storage.close();
  if (once) rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}
process.once("SIGINT", () => void stop(0));
process.once("SIGTERM", () => void stop(0));

const url = await app.listen(once ? 0 : Number(process.env.PORT ?? 8080));
console.log(`rungate host app on ${url} (state in ${dataDir}, repository ${project.repo_url})`);
if (once) await stop(await oneCard(url));

/** `--once`: what a client does, over HTTP: trigger a card, follow it, approve it, read the draft PR. */
async function oneCard(base: string): Promise<number> {
  const call = async (method: string, path: string, body?: unknown, user = "ana") => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { "x-user": user, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    // biome-ignore lint/suspicious/noExplicitAny: a smoke client reads the JSON it is shown
    return { status: response.status, body: (await response.json()) as any };
  };
  const card = { card_id: randomUUID(), title: "Add a cart total", allowed_paths: ["src/**", "test/**"] };
  const triggered = await call("POST", "/runs", card);
  if (triggered.status !== 202) return fail("trigger", triggered.body);
  const run_id: string = triggered.body.run_id;
  console.log(`POST /runs → 202, run ${run_id}; following its events:`);

  const following = new AbortController();
  const stream = await fetch(`${base}/runs/${run_id}/events`, {
    headers: { "x-user": "ana" },
    signal: following.signal,
  });
  let phase = "";
  for await (const message of readSse(stream)) {
    if (message.event === "end") break;
    const event = JSON.parse(message.data) as TypedRunEvent;
    console.log(`  #${event.sequence} ${describe(event)}`);
    if (event.event_type === "run.transitioned") phase = event.payload.to;
    if (phase === "awaiting_approval" || phase === "failed" || phase === "checks_failed") break;
  }
  following.abort();
  if (phase !== "awaiting_approval") return fail("build", { phase });

  const run = await call("GET", `/runs/${run_id}`);
  const approval = run.body.approvals[0];
  const approved = await call(
    "POST",
    `/runs/${run_id}/approvals/${approval.id}`,
    { notes: "Looks right." },
    "bob",
  );
  if (approved.status !== 201) return fail("approve", approved.body);
  console.log(
    `bob approved; draft PR ${approved.body.pull_request.status} at ${approved.body.pull_request.pr_url}`,
  );
  const listed = await call("GET", "/runs?phase=pr_open");
  console.log(`GET /runs?phase=pr_open → ${listed.body.runs.length} run(s)`);
  return listed.body.runs.some((r: { id: string }) => r.id === run_id) ? 0 : fail("list", listed.body);
}

function describe(event: TypedRunEvent): string {
  switch (event.event_type) {
    case "run.transitioned":
    case "assignment.transitioned":
      return `${event.event_type.split(".")[0]} ${event.payload.from} → ${event.payload.to}`;
    case "check.completed":
      return `check ${event.payload.check_type}: ${event.payload.status}`;
    case "agent.progress":
      return `agent: ${event.payload.message}`;
    default:
      return event.event_type;
  }
}

function fail(step: string, detail: unknown): number {
  console.error(`✗ ${step}: ${JSON.stringify(detail)}`);
  return 1;
}
