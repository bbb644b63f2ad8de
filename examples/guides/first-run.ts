// first-run.ts
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { createOrchestrator, createRandomIds, createSystemClock, secretsFromEnvironment } from "rungate";
import { createProcessCheckRunner, npmPreset } from "rungate/checks";
import { createCommandDispatcher } from "rungate/dispatch";
import { createSimpleGitAdapter } from "rungate/git";
import { createLocalPullRequestHost } from "rungate/local";
import { createPgliteStorage } from "rungate/postgres";

const home = resolve(".rungate"); // everything rungate keeps on disk
mkdirSync(home, { recursive: true }); // PGlite creates its data directory, but not the parents

// 1. The store: PGlite in .rungate/db, migrated on open.
const opened = await createPgliteStorage({ dataDir: resolve(home, "db") });
if (opened.isErr()) throw new Error(opened.error.message);
const storage = opened.value;

// 2. The ports: git, agent, checks, PR host, clock and ids.
const ports = {
  git: createSimpleGitAdapter({ root: resolve(home, "repos") }),
  storage,
  dispatcher: createCommandDispatcher({
    command: ["node", "/opt/agents/my-agent.mjs", "--task", "{task}"],
    state_dir: resolve(home, "executions"),
  }),
  checks: createProcessCheckRunner(npmPreset()), // lint: npm run lint, unit: npm test, after npm ci
  pullRequests: createLocalPullRequestHost({ dir: resolve(home, "pull-requests") }),
  clock: createSystemClock(),
  ids: createRandomIds(),
};

// 3. The orchestrator, with the host's secrets known to the redactor.
const orchestrator = createOrchestrator(ports, { secrets: secretsFromEnvironment(process.env) });

// 4. The project's policy (a SystemPolicyProfile).
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

// 5. One card, built: prepared, dispatched, judged, checked, and a person asked.
const card_id = "c0ffee00-0000-4000-8000-000000000001";
const built = await orchestrator.triggerBuild({
  project_id: policy.project_id,
  scope: "card",
  card_id,
  trigger_type: "card",
  initiated_by: "user:ana",
  repo_url: "https://github.com/acme/shop.git",
  base_branch: "main",
  cards: [{ card_id, title: "Add a cart total", allowed_paths: ["src/cart/**", "test/**"] }],
  policy,
});
if (built.isErr()) throw new Error(built.error.message);
const { run, assignments, approvals } = built.value;
console.log(run.phase); // "awaiting_approval" when every required check passed

// 6. A person approves, for the head the checks saw. Only then is a draft PR created.
const [approval] = approvals;
const assignment = assignments[0];
if (approval !== undefined && assignment !== undefined) {
  const decided = await orchestrator.recordApprovalDecision({
    run_id: run.id,
    approval_id: approval.id,
    decision: "approve",
    decided_by: "user:ana",
  });
  if (decided.isErr()) throw new Error(decided.error.message);
  const pr = await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id });
  if (pr.isErr()) throw new Error(pr.error.message);
  console.log(pr.value.status, pr.value.pr_url); // "draft_open", the PR's url
}

await storage.close();
