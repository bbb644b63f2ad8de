/**
 * A world for hostile-agent tests: a real repository published to a local bare remote, real rungate adapters
 * (simple-git, the command dispatcher, process checks, the local PR host) over in-memory storage, and an agent
 * that is a shell script the test writes. The script gets `$EVIL` (a program that appends a line to `$MARKER`
 * whenever anything runs it) so an attack can name a program; a test then proves the marker stays absent.
 * Everything is local: no network.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createLocalPullRequestHost } from "../../src/adapters/local-pr-host/index.js";
import { createProcessCheckRunner } from "../../src/adapters/process-checks/index.js";
import { createCommandDispatcher } from "../../src/adapters/process-dispatch/index.js";
import { createBubblewrapSandbox } from "../../src/adapters/sandbox/index.js";
import { createSimpleGitAdapter } from "../../src/adapters/simple-git/index.js";
import {
  type AgentDispatcher,
  type CheckRunner,
  type CreateRunRequest,
  createOrchestrator,
  createRandomIds,
  createSystemClock,
  type Orchestrator,
  type OrchestratorOptionsInput,
  type RungatePorts,
  type StoragePort,
} from "../../src/index.js";
import { createInMemoryStorage, fixtureId, policyFixture } from "../../src/testing/index.js";
import { createBareRemote, tempDir } from "../adapters/simple-git/git-helpers.js";

/** The project's files: a cart module and a test runner the `unit` check runs. */
export const PROJECT_FILES: Readonly<Record<string, string>> = {
  "README.md": "# shop\n",
  "src/cart.js": "export const total = (prices) => prices.reduce((a, b) => a + b, 0);\n",
  "test/run.mjs": [
    'import { total } from "../src/cart.js";',
    "if (total([2, 3]) !== 5) { console.error('total is wrong'); process.exit(1); }",
    "console.log('ok');",
    "",
  ].join("\n"),
};

/** A commit in the agent's repository, as a shell line (the identity is given on the command line). */
export const COMMIT = 'git -c user.name=agent -c user.email=agent@example.invalid commit -q -m "$1"';

/** Shell helpers every agent script starts with: `commit <message>` commits everything. */
const PRELUDE = `set -e\ncommit() { git add -A && ${COMMIT}; }\n`;

/** A world and what its tests read back. */
export interface HostileWorld {
  readonly dir: string;
  readonly remote: string;
  readonly git_root: string;
  readonly marker: string;
  readonly evil: string;
  readonly orchestrator: Orchestrator;
  readonly storage: StoragePort;
  /** The ports the orchestrator runs on (for a second orchestrator on the same store, say). */
  readonly ports: RungatePorts;
  /** Sets the script the agent of `card_id` runs from its next attempt on. */
  setScript(card_id: string, script: string): Promise<void>;
  /** The run input of a card run for `card_id` on this world's remote. */
  request(
    card_id: string,
    card?: { readonly title?: string; readonly feature_branch?: string },
  ): CreateRunRequest;
  /** Builds one card whose agent runs `script` (sh, in its worktree); returns the run id. */
  build(
    script: string,
    card?: { readonly title?: string; readonly feature_branch?: string },
  ): Promise<string>;
  /** Every record and event stored for `run_id`, as one JSON text. */
  dump(run_id: string): Promise<string>;
  /** What the hostile program wrote, or `null` when it never ran. */
  markerText(): string | null;
  /** The tip of `branch` on the remote. */
  remoteTip(branch: string): string;
}

/** Options of {@link hostileWorld}. */
export interface HostileWorldOptions {
  /** Check commands by type (default: `unit` runs test/run.mjs). */
  readonly checks?: Parameters<typeof createProcessCheckRunner>[0]["checks"];
  /** Runs the agent and the checks in a bubblewrap sandbox (the world's agent scripts readable in it). */
  readonly sandboxed?: boolean;
  /** Environment set for the agent. */
  readonly agent_env?: Readonly<Record<string, string>>;
  /** The orchestrator's `secrets` option. */
  readonly secrets?: readonly string[];
  /** The store (default: the in-memory one). */
  readonly storage?: StoragePort;
  /** Orchestrator options besides `secrets`. */
  readonly orchestrator?: Omit<OrchestratorOptionsInput, "secrets">;
  /** The policy's required checks (default `policy`, `unit`). */
  readonly required_checks?: readonly ("policy" | "security" | "unit")[];
}

let cards = 0;

/** A fresh world in a temporary directory. */
export async function hostileWorld(options: HostileWorldOptions = {}): Promise<HostileWorld> {
  const dir = await tempDir("rungate-hostile-");
  const remote = await createBareRemote(dir, PROJECT_FILES);
  const marker = join(dir, "evil-ran.log");
  const evil = join(dir, "evil.sh");
  // Appends who ran it, then behaves as a pass-through filter (cat), so a git that runs it keeps working.
  await writeFile(evil, `#!/bin/sh\necho "ran: $0 $*" >> '${marker}'\ncat\n`);
  await chmod(evil, 0o755);
  const git_root = join(dir, "repos");
  const storage = options.storage ?? createInMemoryStorage();
  const scripts = join(dir, "agents");
  execFileSync("mkdir", ["-p", scripts]);
  const sandbox = options.sandboxed === true ? createBubblewrapSandbox({ read_only: [scripts] }) : undefined;
  const dispatcher: AgentDispatcher = createCommandDispatcher({
    command: ["/bin/sh", join(scripts, "{card_id}.sh")],
    state_dir: join(dir, "executions"),
    env: {
      EVIL: evil,
      MARKER: marker,
      REMOTE: remote,
      CLONE: join(git_root, fixtureId(1)),
      ...options.agent_env,
    },
    timeout_ms: 60_000,
    kill_grace_ms: 500,
    ...(sandbox === undefined ? {} : { sandbox }),
  });
  const checks: CheckRunner = createProcessCheckRunner({
    checks: options.checks ?? { unit: { command: [process.execPath, "test/run.mjs"], timeout_ms: 60_000 } },
    kill_grace_ms: 500,
    ...(sandbox === undefined ? {} : { sandbox }),
  });
  const ports: RungatePorts = {
    git: createSimpleGitAdapter({ root: git_root }),
    storage,
    dispatcher,
    checks,
    pullRequests: createLocalPullRequestHost({ dir: join(dir, "pull-requests") }),
    clock: createSystemClock(),
    ids: createRandomIds(),
  };
  const orchestrator = createOrchestrator(ports, {
    ...options.orchestrator,
    secrets: [...(options.secrets ?? [])],
  });
  const policy = policyFixture({ required_checks: [...(options.required_checks ?? ["policy", "unit"])] });

  const world: HostileWorld = {
    dir,
    remote,
    git_root,
    marker,
    evil,
    orchestrator,
    storage,
    ports,
    async setScript(card_id, script) {
      await writeFile(join(scripts, `${card_id}.sh`), `${PRELUDE}${script}\n`);
    },
    request(card_id, card = {}) {
      return {
        project_id: fixtureId(1),
        scope: "card",
        card_id,
        trigger_type: "card",
        initiated_by: "user:test",
        repo_url: remote,
        cards: [
          {
            card_id,
            title: card.title ?? "A card",
            allowed_paths: ["src/**", "test/**"],
            ...(card.feature_branch === undefined ? {} : { feature_branch: card.feature_branch }),
          },
        ],
        policy,
      };
    },
    async build(script, card = {}) {
      cards += 1;
      const card_id = fixtureId(10_000 + cards);
      await this.setScript(card_id, script);
      const built = await orchestrator.triggerBuild(
        this.request(card_id, { title: `Card ${cards}`, ...card }),
      );
      if (built.isErr()) throw new Error(`triggerBuild failed: ${built.error.code}: ${built.error.message}`);
      return built.value.run.id;
    },
    async dump(run_id) {
      const all = await Promise.all([
        storage.getRun(run_id),
        storage.listAssignments(run_id),
        storage.listChecks(run_id),
        storage.listApprovals(run_id),
        storage.listPullRequests(run_id),
        storage.listExecutions(run_id),
        storage.listEvents(run_id),
      ]);
      const values = all.map((r) => r._unsafeUnwrap());
      const assignments = all[1]._unsafeUnwrap();
      const commits = await Promise.all(assignments.map((a) => storage.listCommits(a.id)));
      return JSON.stringify([...values, ...commits.map((c) => c._unsafeUnwrap())]);
    },
    markerText() {
      return existsSync(marker) ? readFileSync(marker, "utf8") : null;
    },
    remoteTip(branch) {
      return execFileSync("git", ["rev-parse", `refs/heads/${branch}`], { cwd: remote })
        .toString()
        .trim();
    },
  };
  return world;
}

/** The stored state of a run. */
export async function readBack(world: HostileWorld, run_id: string) {
  const { storage } = world;
  return {
    run: (await storage.getRun(run_id))._unsafeUnwrap(),
    assignments: (await storage.listAssignments(run_id))._unsafeUnwrap(),
    checks: (await storage.listChecks(run_id))._unsafeUnwrap(),
    approvals: (await storage.listApprovals(run_id))._unsafeUnwrap(),
    executions: (await storage.listExecutions(run_id))._unsafeUnwrap(),
    events: (await storage.listEvents(run_id))._unsafeUnwrap(),
  };
}

/** A person approves the card of `run_id`; rungate proposes the draft PR (pushing the branch). */
export async function approveAndPropose(world: HostileWorld, run_id: string) {
  const { approvals, assignments } = await readBack(world, run_id);
  const approval = approvals[0];
  if (!approval) throw new Error("no approval was requested");
  (
    await world.orchestrator.recordApprovalDecision({
      run_id,
      approval_id: approval.id,
      decision: "approve",
      decided_by: "ana",
    })
  )._unsafeUnwrap();
  return (
    await world.orchestrator.createPullRequestCandidate({ assignment_id: assignments[0]?.id ?? "" })
  )._unsafeUnwrap();
}
