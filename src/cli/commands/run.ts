import { z } from "zod";
import { createProcessCheckRunner } from "../../adapters/process-checks/index.js";
import {
  type AgentDispatcher,
  type BuildOutcome,
  type CheckRunner,
  type CreateRunRequest,
  createOrchestrator,
  err,
  errAsync,
  type Orchestrator,
  ok,
  okAsync,
  type Result,
  ResultAsync,
  type RungateError,
  type SystemPolicyProfile,
  safeTry,
  secretsFromEnvironment,
} from "../../index.js";
import { agentChoice, agentDispatcher } from "../agent.js";
import { GOOD_PHASES, summariseCards } from "../card-summary.js";
import { type CliError, describeCliError, rungateFailure, usageError } from "../cli-error.js";
import { hasBranch, type LocalRepository, readLocalRepository } from "../git-repo.js";
import type { CliIo } from "../io.js";
import {
  CheckOption,
  EnvAllowName,
  GlobOption,
  PersonOption,
  parseOptions,
  StateDirOption,
  stateDirFlag,
} from "../options.js";
import { defaultPolicy, readPolicyFile } from "../policy-file.js";
import { startProgress } from "../progress.js";
import { newId, type ProjectFile, readProjectFile, writeProjectFile } from "../project-file.js";
import { type OpenState, portsOf, statePaths, withStateDir } from "../state-dir.js";
import { cardsTable } from "../tables.js";

/** The exit code of a run stopped with Ctrl-C (128 + SIGINT): its cards can be resumed, nothing failed. */
export const EXIT_INTERRUPTED = 130;

/** The options of `rungate run`, as commander hands them over. */
export const RunOptions = z.object({
  repo: z.string().min(1, "--repo must name a git repository"),
  card: z
    .array(z.string().trim().min(1, "a card needs a title").max(500))
    .min(1, "give a card: --card <title>"),
  description: z.string().max(20_000).default(""),
  allow: z.array(GlobOption).min(1, "give at least one --allow glob: the paths the agent may change"),
  forbid: z.array(GlobOption).default([]),
  agent: z.string().trim().min(1, "--agent must name claude, codex or a command"),
  policy: z.string().min(1).optional(),
  check: z.array(CheckOption).default([]),
  base: z.string().min(1).optional(),
  by: PersonOption,
  envAllow: z.array(EnvAllowName).default([]),
  timeout: z.coerce
    .number()
    .int("--timeout is whole seconds")
    .positive("--timeout must be positive")
    .max(7 * 24 * 3600)
    .optional(),
  stateDir: StateDirOption,
});
/** Parsed {@link RunOptions}. */
export type RunOptions = z.infer<typeof RunOptions>;

/** Everything `rungate run` checked before it opens the store. */
interface RunPlan {
  readonly options: RunOptions;
  readonly repo: LocalRepository;
  readonly base: string;
  readonly project: ProjectFile;
  readonly dispatcher: AgentDispatcher;
  readonly checks: CheckRunner;
}

/** The base branch: `--base`, else the repository's current branch; it must exist there. */
function baseBranch(repo: LocalRepository, given: string | undefined): ResultAsync<string, CliError> {
  const base = given ?? repo.current_branch;
  if (base === null) {
    return errAsync(usageError(`${repo.path} has a detached HEAD: name the base branch with --base`));
  }
  return hasBranch(repo, base).andThen((exists) =>
    exists ? okAsync(base) : errAsync(usageError(`--base ${base}: no such branch in ${repo.path}`)),
  );
}

/**
 * The project this run belongs to: the state directory's (it serves one repository), or a new one. The
 * policy is `--policy`'s file (its missing ids filled from the project) or the default one.
 */
function projectFor(options: RunOptions, repo: LocalRepository): ResultAsync<ProjectFile, CliError> {
  const paths = statePaths(options.stateDir);
  return readProjectFile(paths.project).andThen((existing) => {
    if (existing !== null && existing.repo !== repo.path) {
      return errAsync(
        usageError(
          `the state directory ${paths.root} belongs to ${existing.repo}, not ${repo.path}: use another --state-dir`,
        ),
      );
    }
    const ids = {
      project_id: existing?.project_id ?? newId(),
      policy_id: existing?.policy.id ?? newId(),
      now: new Date().toISOString(),
    };
    const policy: ResultAsync<SystemPolicyProfile, CliError> =
      options.policy === undefined
        ? okAsync(
            defaultPolicy(
              options.check.map((c) => c.type),
              ids,
            ),
          )
        : readPolicyFile(options.policy, ids);
    return policy.andThen((policy) => {
      if (existing !== null && policy.project_id !== existing.project_id) {
        return errAsync(
          usageError(
            `the policy's project_id ${policy.project_id} is not this state directory's project (${existing.project_id})`,
          ),
        );
      }
      const missing = policy.required_checks.filter(
        (t) => t !== "policy" && !options.check.some((c) => c.type === t),
      );
      if (missing.length > 0) {
        return errAsync(
          usageError(
            "the policy requires checks that have no command, and a check that never runs never passes:",
            missing.map((t) => `give --check ${t}=<command>`),
          ),
        );
      }
      return okAsync({ version: 1 as const, project_id: policy.project_id, repo: repo.path, policy });
    });
  });
}

/** The check runner: each `--check` as a shell command, run in a fresh checkout of the card's head. */
function checkRunner(options: RunOptions): Result<CheckRunner, CliError> {
  try {
    return ok(
      createProcessCheckRunner({
        checks: Object.fromEntries(options.check.map((c) => [c.type, { command: [c.command], shell: true }])),
      }),
    );
  } catch (cause) {
    return err(usageError(`--check: ${(cause as Error).message.split("\n")[0]}`));
  }
}

/** Checks every option, the repository, the policy and the agent, before anything is stored. */
function planRun(raw: unknown): ResultAsync<RunPlan, CliError> {
  return safeTry<RunPlan, CliError>(async function* () {
    const options = yield* parseOptions(RunOptions, raw, "run");
    const repo = yield* readLocalRepository(options.repo);
    const base = yield* baseBranch(repo, options.base);
    const project = yield* projectFor(options, repo);
    const checks = yield* checkRunner(options);
    const dispatcher = yield* agentDispatcher(agentChoice(options.agent), {
      state_dir: statePaths(options.stateDir).executions,
      env_allow: options.envAllow,
    });
    return ok({ options, repo, base, project, dispatcher, checks });
  });
}

/** One card run's request: each `--card` is a run of its own (scope `card`), built concurrently. */
function requestFor(plan: RunPlan, card: { card_id: string; title: string }): CreateRunRequest {
  const { options, project } = plan;
  const protectedApproval = project.policy.approval_policy.protected_path_approval;
  return {
    project_id: project.project_id,
    scope: "card",
    card_id: card.card_id,
    trigger_type: "manual",
    initiated_by: options.by,
    repo_url: plan.repo.path,
    base_branch: plan.base,
    // Checks given with --check run even when the policy does not require them.
    planned_checks: [...new Set([...project.policy.required_checks, ...options.check.map((c) => c.type)])],
    cards: [
      {
        card_id: card.card_id,
        title: card.title,
        description: options.description,
        allowed_paths: options.allow,
        forbidden_paths: options.forbid,
        // Planned up front so that a card whose globs reach a protected path is not refused; the approval is
        // only requested when the agent's changes actually touch one.
        planned_approvals: project.policy.protected_paths.length > 0 ? [protectedApproval] : [],
      },
    ],
    policy: project.policy,
  };
}

/** Stops the build on the first Ctrl-C (the run stays resumable); a second one exits at once. */
function interruptible(io: CliIo): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const hard = () => process.exit(EXIT_INTERRUPTED);
  const soft = () => {
    io.err("interrupting: agents and checks are stopping; press Ctrl-C again to quit at once");
    controller.abort();
    process.once("SIGINT", hard);
  };
  process.once("SIGINT", soft);
  return {
    signal: controller.signal,
    dispose() {
      process.removeListener("SIGINT", soft);
      process.removeListener("SIGINT", hard);
    },
  };
}

/** The id of the run holding a card, or `null` when none was stored. */
async function runOfCard(orchestrator: Orchestrator, card_id: string): Promise<string | null> {
  const page = await orchestrator.listRuns({ card_id, limit: 1 });
  return page.isOk() ? (page.value.runs[0]?.id ?? null) : null;
}

/** Builds every card with the orchestrator, with the live display, and prints the final table. */
function build(io: CliIo, plan: RunPlan, state: OpenState): ResultAsync<number, CliError> {
  return new ResultAsync(buildCards(io, plan, state));
}

async function buildCards(io: CliIo, plan: RunPlan, state: OpenState): Promise<Result<number, CliError>> {
  const written = await writeProjectFile(state.paths.project, plan.project);
  if (written.isErr()) return err(written.error);
  const orchestrator = createOrchestrator(portsOf(state, plan), {
    // An agent outside a sandbox can read this process's environment: its secrets never reach the store.
    secrets: secretsFromEnvironment(process.env),
    ...(plan.options.timeout === undefined ? {} : { dispatch_timeout_ms: plan.options.timeout * 1_000 }),
  });
  const cards = plan.options.card.map((title) => ({ card_id: newId(), title }));
  const progress = startProgress(orchestrator, io, new Map(cards.map((c) => [c.card_id, c.title])));
  const interrupt = interruptible(io);
  const built: Result<BuildOutcome, RungateError>[] = await Promise.all(
    cards.map((card) => orchestrator.triggerBuild(requestFor(plan, card), { signal: interrupt.signal })),
  );
  interrupt.dispose();
  await progress.stop();

  let exit = 0;
  const summaries = [];
  for (const [i, result] of built.entries()) {
    if (result.isErr() && result.error.kind === "cancelled" && interrupt.signal.aborted) {
      // Interrupted, not failed: the card went back to `ready` and its run can be continued or cancelled.
      const card = cards[i];
      const run = card === undefined ? null : await runOfCard(orchestrator, card.card_id);
      io.err(
        `interrupted: "${card?.title}" stopped${run === null ? "" : `; run ${run} stays resumable (stop it for good: rungate cancel ${run}${stateDirFlag(plan.options.stateDir)})`}`,
      );
      continue;
    }
    if (result.isErr()) {
      io.err(...describeCliError(rungateFailure(result.error)));
      exit = Math.max(exit, 1);
      continue;
    }
    summaries.push(...summariseCards(result.value));
  }
  if (summaries.length > 0) io.out("", cardsTable(summaries, io.isTTY));
  for (const card of summaries) {
    if (card.problem !== null) io.out(`✗ ${card.title}: ${card.problem}`);
    for (const approval of card.pending_approvals) {
      io.out(
        `→ ${card.title} awaits your approval (${approval.type}): rungate approve ${approval.id}${stateDirFlag(plan.options.stateDir)}`,
      );
    }
    if (!GOOD_PHASES.has(card.phase)) exit = Math.max(exit, 1);
  }
  return ok(interrupt.signal.aborted ? EXIT_INTERRUPTED : exit);
}

/**
 * `rungate run`: validates the options, the repository, the policy and the agent, opens the state directory,
 * builds each `--card` as a card run (agent, changes judged, checks, approval request) with a live display,
 * and prints one row per card and the `rungate approve` line of each card awaiting approval. Answers the exit
 * code: 0 when every card awaits approval, 1 when one was blocked or failed, 130 when interrupted.
 */
export function runCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return planRun(raw).andThen((plan) =>
    withStateDir(plan.options.stateDir, { create: true, command: "run" }, (state) => build(io, plan, state)),
  );
}
