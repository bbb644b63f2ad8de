/**
 * `npm run demo`: the main job on a real repository. A temporary git repository with a local bare remote,
 * a policy with required checks and forbidden paths, and three cards run through rungate with real adapters
 * (one of them a hostile agent, stopped by a containment rule):
 * git worktrees per card (rungate/git), an agent program started per card (rungate/dispatch), check
 * commands run as processes (rungate/checks), state in an embedded PGlite directory (rungate/postgres),
 * and a draft PR recorded by the local PR host (rungate/local). A person approves, and a person merges.
 *
 *   npm run demo                      # everything in a temp dir, removed afterwards
 *   npm run demo -- --data-dir ./x    # keep the PGlite store (and the repos) in ./x
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createOrchestrator,
  createRandomIds,
  createSystemClock,
  type RungateError,
  type TypedRunEvent,
  verifyRunSnapshots,
} from "rungate";
import { createProcessCheckRunner } from "rungate/checks";
import { createCommandDispatcher } from "rungate/dispatch";
import { createSimpleGitAdapter } from "rungate/git";
import { createLocalPullRequestHost, recordLocalMerge } from "rungate/local";
import { createPgliteStorage } from "rungate/postgres";

const args = process.argv.slice(2);
const dataDirArg = args.includes("--data-dir") ? args[args.indexOf("--data-dir") + 1] : undefined;
const work = dataDirArg ? resolve(dataDirArg) : mkdtempSync(join(tmpdir(), "rungate-demo-"));
const here = fileURLToPath(new URL(".", import.meta.url));
const started = Date.now();
const ms = () => `${String(Date.now() - started).padStart(5)} ms`;
const die = (what: string, e: RungateError): never => {
  console.error(`\n✗ ${what}: ${e.message}`);
  process.exit(1);
};
const git = (cwd: string, ...a: string[]) => execFileSync("git", a, { cwd, stdio: "pipe" }).toString().trim();

// 1. A project: a repository with a test runner, published to a local bare remote.
const remote = join(work, "remote.git");
const seed = join(work, "seed");
git(work, "init", "-q", "--bare", "-b", "main", remote);
git(work, "init", "-q", "-b", "main", seed);
cpSync(join(here, "seed-repo"), seed, { recursive: true });
git(seed, "add", "-A");
git(seed, "-c", "user.name=ana", "-c", "user.email=ana@shop.invalid", "commit", "-q", "-m", "shop");
git(seed, "push", "-q", remote, "main");
console.log(
  `# rungate demo in ${work}\n  remote ${remote} (main: ${git(seed, "rev-parse", "--short", "HEAD")})`,
);

// 2. Real adapters.
const storage = (await createPgliteStorage({ dataDir: join(work, "store") })).match(
  (s) => s,
  (e) => die("open the store", e),
);
const ports = {
  git: createSimpleGitAdapter({ root: join(work, "repos") }),
  storage,
  dispatcher: createCommandDispatcher({
    command: [process.execPath, join(here, "agent.mjs")],
    state_dir: join(work, "executions"),
    // Where the hostile "tune" card writes the program it names in its git config (see agent.mjs).
    env: { DEMO_TRAP: join(work, "trap.sh") },
  }),
  checks: createProcessCheckRunner({
    checks: {
      lint: {
        command: [
          process.execPath,
          "-e",
          "require('node:child_process').execFileSync('git', ['diff', '--check', 'origin/main', 'HEAD'])",
        ],
      },
      unit: { command: [process.execPath, "test/run.mjs"] },
    },
  }),
  pullRequests: createLocalPullRequestHost({ dir: join(work, "pull-requests") }),
  clock: createSystemClock(),
  ids: createRandomIds(),
};
const orchestrator = createOrchestrator(ports);
const policy = {
  id: "6a0f0c9e-0000-4000-8000-000000000001",
  project_id: "6a0f0c9e-0000-4000-8000-0000000000aa",
  required_checks: ["policy", "lint", "unit"],
  protected_paths: ["package.json"],
  forbidden_paths: ["**/.env", "secrets/**"],
  dependency_policy: {},
  security_policy: {},
  architecture_policy: {},
  approval_policy: {},
  updated_at: new Date().toISOString(),
};
console.log(
  `  policy: required ${policy.required_checks.join(", ")}; forbidden ${policy.forbidden_paths.join(", ")}\n`,
);

// 3. Progress: one line per stored event, as it is stored.
const follow = new AbortController();
const printed = (async () => {
  // Typed events: switching on event_type narrows the payload.
  const short = (e: TypedRunEvent) => {
    switch (e.event_type) {
      case "run.transitioned":
      case "assignment.transitioned":
        return `${e.event_type.split(".")[0]} ${e.payload.from} → ${e.payload.to}`;
      case "check.completed":
        return `check ${e.payload.check_type}: ${e.payload.status}`;
      case "assignment.changes_collected": {
        const files = e.payload.files.map((f) => `${f.path} (${f.verdict})`).join(", ");
        const outcome = e.payload.outcome === "committed" ? "" : `, ${e.payload.outcome}`;
        return `changes: ${files || "none"}${outcome}`;
      }
      case "agent.progress":
        return `agent: ${e.payload.message}`;
      default:
        return e.event_type;
    }
  };
  for await (const e of orchestrator.events(undefined, { signal: follow.signal })) {
    console.log(`${ms()}  run …${e.run_id.slice(-4)}  ${short(e).padEnd(58)} ${e.actor}`);
  }
})();

const card = (id: string, title: string, allowed: string[]) => ({
  project_id: policy.project_id,
  scope: "card" as const,
  card_id: id,
  trigger_type: "card" as const,
  initiated_by: "user:ana",
  repo_url: remote,
  base_branch: "main",
  cards: [{ card_id: id, title, allowed_paths: allowed }],
  policy,
});

// 4. Three cards, each its own run, built concurrently.
const [cart, config, tune] = await Promise.all([
  orchestrator.triggerBuild(
    card("c0ffee00-0000-4000-8000-000000000001", "Add a cart total", ["src/cart/**", "test/**"]),
  ),
  orchestrator.triggerBuild(
    card("c0ffee00-0000-4000-8000-000000000002", "Load config from the environment", ["src/config/**"]),
  ),
  orchestrator.triggerBuild(
    card("c0ffee00-0000-4000-8000-000000000003", "Tune the test runner", ["src/perf/**"]),
  ),
]);
const cartRun = cart.match(
  (r) => r,
  (e) => die("build the cart card", e),
);
const configRun = config.match(
  (r) => r,
  (e) => die("build the config card", e),
);
const tuneRun = tune.match(
  (r) => r,
  (e) => die("build the tune card", e),
);
const tuneExecution = (await storage.listExecutions(tuneRun.run.id)).match(
  (x) => x[0],
  (e) => die("read the tune card's attempt", e),
);
console.log(
  `\n${ms()}  the tune card is ${tuneRun.assignments[0]?.phase}: ${tuneExecution?.outcome}` +
    ` (${tuneExecution?.summary?.split("\n").find((l) => l.startsWith("rungate:")) ?? ""});` +
    ` the fsmonitor it named in its git config ran: ${existsSync(join(work, "trap.sh.ran")) ? "YES" : "never"}`,
);
const cartCard = cartRun.assignments[0];
if (cartCard === undefined) throw new Error("the cart run has no card");

// 5. The cart card's unit check failed: nobody is asked. The host asks the agent again.
const refused = await orchestrator.requestApproval({ assignment_id: cartCard.id });
console.log(
  `\n${ms()}  approval for the cart card? ${refused.match(
    () => "requested",
    (e) => `refused: ${e.message}`,
  )}\n`,
);
(await orchestrator.dispatchAssignment({ assignment_id: cartCard.id })).match(
  () => undefined,
  (e) => die("re-dispatch", e),
);
const checked = (await orchestrator.executeChecks({ assignment_id: cartCard.id })).match(
  (r) => r,
  (e) => die("check", e),
);
if (checked.result !== "awaiting_approval")
  die("check", {
    kind: "gate_closed",
    code: "x",
    message: `still ${checked.result}`,
    detail: { gate: "request_approval", reasons: [] },
  });
const approval = checked.result === "awaiting_approval" ? checked.approval.approvals[0] : undefined;

// 6. A person approves; only then is a draft PR recorded. A person merges it; rungate only observes that.
(
  await orchestrator.recordApprovalDecision({
    run_id: cartRun.run.id,
    approval_id: approval?.id ?? "",
    decision: "approve",
    decided_by: "ana",
    notes: "Looks right.",
  })
).match(
  () => undefined,
  (e) => die("approve", e),
);
const pr = (await orchestrator.createPullRequestCandidate({ assignment_id: cartCard.id })).match(
  (p) => p,
  (e) => die("draft the PR", e),
);
console.log(`\n${ms()}  draft PR recorded at ${pr.pr_url}; rungate has no merge. ana merges it herself:\n`);
(await recordLocalMerge(join(work, "pull-requests"), pr.pr_url ?? "", "ana")).match(
  () => undefined,
  (e) => die("merge", e),
);
(await orchestrator.observePullRequest({ assignment_id: cartCard.id })).match(
  () => undefined,
  (e) => die("observe", e),
);
await new Promise((r) => setTimeout(r, 50));
follow.abort();
await printed;

// 7. Reopen the store from disk and read the runs back, snapshots verified.
(await storage.close()).match(
  () => undefined,
  (e) => die("close the store", e),
);
const reopened = (await createPgliteStorage({ dataDir: join(work, "store") })).match(
  (s) => s,
  (e) => die("reopen the store", e),
);
const rows = [];
for (const built of [cartRun, configRun, tuneRun]) {
  const run = (await reopened.getRun(built.run.id)).match(
    (r) => r,
    (e) => die("read back", e),
  );
  const events = (await reopened.listEvents(run.id)).match(
    (e) => e,
    (e) => die("read events", e),
  );
  const [a] = (await reopened.listAssignments(run.id)).match(
    (x) => x,
    (e) => die("read cards", e),
  );
  rows.push({
    run: `…${run.id.slice(-4)}`,
    card: (a?.assignment_input_snapshot as { title?: string } | undefined)?.title ?? "",
    run_phase: `${run.phase}/${run.status}`,
    card_phase: a?.phase ?? "",
    events: events.length,
    snapshots: verifyRunSnapshots(run).isOk()
      ? `verified ${run.snapshot_hashes?.system_policy.slice(7, 15)}…`
      : "MISMATCH",
  });
}
(await reopened.close()).match(
  () => undefined,
  (e) => die("close", e),
);
console.log(`\nread back from ${join(work, "store")} after reopening:`);
console.table(rows);
if (!dataDirArg) rmSync(work, { recursive: true, force: true });
