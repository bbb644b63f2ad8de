import { err, ok, type Result, ResultAsync } from "neverthrow";
import picomatch from "picomatch";
import { rungateError } from "../../core/errors.js";
import { type AgentLimits, NO_AGENT_LIMITS } from "../../core/policy/agent-budget.js";
import type { AgentOutcome, AgentUsage } from "../../core/schemas/agent-execution.js";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import { BoundedLog, DEFAULT_LOG_LIMIT } from "../../internal/bounded/bounded-log.js";
import { createBoundedMap } from "../../internal/bounded/bounded-map.js";
import type {
  AgentDispatcher,
  AgentDispatchOptions,
  AgentDispatchOutcome,
  AgentDispatchRequest,
  AgentSandboxPolicy,
} from "../../ports/agent-dispatcher.js";
import type { PortError } from "../../ports/port-error.js";
import { abortableWait } from "./abortable-wait.js";
import type { InMemoryGit } from "./in-memory-git.js";

/** One commit a scripted agent makes. */
export interface AgentScriptCommit {
  /** Path → new content; `null` deletes the path. */
  readonly files: Readonly<Record<string, string | null>>;
  /** Commit message (default `"scripted commit <i> for card <card_id>"`). */
  readonly message?: string;
  /**
   * Commit on this branch instead of the worktree's: an agent that checked out another branch and committed
   * there (the orchestrator must see no commit on the feature branch and call it `wrong_branch`).
   */
  readonly branch?: string;
}

/** What a scripted agent does on one dispatch, in this order: fail, wait, commit, leave files uncommitted, report. */
export interface AgentScriptStep {
  /**
   * Commits made in the assignment's worktree through the fake git, in order. A commit that would change
   * nothing (its files already hold that content: a step played again on a redispatch) is skipped, as an agent
   * finding its work done would make no commit; the orchestrator then judges what the branch holds.
   */
  readonly commits?: readonly AgentScriptCommit[];
  /** Files written into the worktree and left uncommitted (after the commits). */
  readonly uncommitted?: Readonly<Record<string, string>>;
  /** What the agent reports (default `"committed"`, whatever it actually did: claims are not evidence). */
  readonly outcome?: AgentOutcome;
  /** Reported exit code (default 1 for `agent_error`, `null` for `timed_out` / `cancelled`, else 0). */
  readonly exit_code?: number;
  /** Reported summary (default a sentence counting the commits). */
  readonly summary?: string;
  /**
   * Real milliseconds the agent "works" before it writes anything. The wait honours the abort signal
   * (`cancelled`) and `timeout_ms` (a delay longer than the timeout fails with `timeout`, nothing written).
   */
  readonly delay_ms?: number;
  /** The dispatch fails at the port level with this error (the agent could not start), nothing written. */
  readonly fail?: PortError;
  /**
   * Usage the agent reports while it works, one `usage` progress item each, before it commits (running
   * totals, as Claude Code and Codex report them). A dispatch aborted after one of them (an orchestrator
   * holding the agent to its budget) stops there with `cancelled`, nothing committed.
   */
  readonly usage_updates?: readonly {
    readonly usage: AgentUsage;
    readonly cost_usd?: number | null;
    readonly num_turns?: number | null;
  }[];
  /**
   * What the agent reports of itself at the end (session, usage, cost, turns, terminal reason, denials,
   * final message); default: nothing (a line-printing agent).
   */
  readonly report?: AgentSelfReport;
}

/** The optional fields of an outcome an agent reports about itself. */
export type AgentSelfReport = Omit<AgentDispatchOutcome, "outcome" | "exit_code" | "summary">;

/**
 * What the agent does per card: `card_id` (or `"*"` for any card without its own entry) → the steps played on
 * that card's 1st, 2nd, 3rd… dispatch. Once a card's steps are used up its last step repeats.
 */
export type AgentScript = { readonly [card_id: string]: readonly AgentScriptStep[] };

/** One start of the scripted agent (one per execution id). */
export interface ScriptedDispatch {
  readonly run_id: string;
  readonly execution_id: string;
  readonly assignment_id: string;
  readonly card_id: string;
  readonly task: string;
  /** The step played: its index in the card's steps, or `null` for the default step (no script). */
  readonly step: number | null;
  /** The request's limits (`NO_AGENT_LIMITS` when it had none). */
  readonly limits: AgentLimits;
  /** The session the request asked to resume. */
  readonly resume_session_id: string | null;
  /** The request's sandbox policy (no network when it had none). */
  readonly sandbox: AgentSandboxPolicy;
}

/** The scripted {@link AgentDispatcher}, with its dispatch log and a way to change the script between calls. */
export interface ScriptedAgent extends AgentDispatcher {
  /**
   * Every start of the agent, in order (copies; the newest `log_limit`): one per execution id. A repeated call with an execution id
   * already started joins that run and lands in {@link ScriptedAgent.replays} instead; a call refused for an
   * already-aborted signal starts nothing and is not listed. Assert "dispatched once, never twice" with it.
   */
  readonly dispatches: readonly ScriptedDispatch[];
  /** The execution ids of calls answered from an earlier start (idempotent replays), in call order (the newest `log_limit`). */
  readonly replays: readonly string[];
  /**
   * Replaces the steps of `cardId` (or of `"*"`); the next dispatch of the card(s) concerned plays the first
   * new step.
   */
  setScript(cardId: string, steps: readonly AgentScriptStep[]): void;
}

/** The part of the in-memory git the agent writes through. */
export type ScriptedAgentGit = Pick<InMemoryGit, "commit" | "writeUncommitted">;

const DEFAULT_EXIT_CODES: { readonly [O in AgentOutcome]: number | null } = {
  committed: 0,
  no_changes: 0,
  uncommitted_changes: 0,
  wrong_branch: 0,
  detached_head: 0,
  foreign_refs: 0,
  diverged_from_base: 0,
  repository_replaced: 0,
  agent_error: 1,
  timed_out: null,
  cancelled: null,
  interrupted: null,
};

/** The last 8 hex digits of a card id: distinct for `fixtureId`s and random UUIDs alike. */
function shortId(cardId: string): string {
  return cardId.replace(/-/g, "").slice(-8);
}

/**
 * The path the default step writes: the first allowed glob's literal base directory (picomatch `scan`) plus
 * `rungate-<short card id>.txt`, or, when the glob is a literal path, that path itself. When the glob wants a
 * particular extension (`src/*.ts`) the file takes it.
 */
export function defaultAgentFile(assignment: Pick<CardAssignment, "card_id" | "allowed_paths">): string {
  const glob = assignment.allowed_paths[0] ?? "**";
  const scan = picomatch.scan(glob);
  if (!scan.isGlob && scan.base !== "") return scan.base;
  const dir = scan.base === "" ? "" : `${scan.base}/`;
  const name = `rungate-${shortId(assignment.card_id)}`;
  const matches = picomatch(glob, { dot: true });
  const extension = /\*(\.[A-Za-z0-9.]+)$/.exec(glob)?.[1];
  const candidates = [`${dir}${name}.txt`, ...(extension ? [`${dir}${name}${extension}`] : [])];
  return candidates.find((c) => matches(c)) ?? `${dir}${name}.txt`;
}

function defaultStep(request: AgentDispatchRequest): AgentScriptStep {
  return {
    commits: [
      {
        files: {
          [defaultAgentFile(request.assignment)]: `scripted change by execution ${request.execution_id}\n`,
        },
        message: `rungate: scripted work on card ${request.assignment.card_id}`,
      },
    ],
  };
}

/**
 * A coding agent that follows a script and really writes: its commits go through `git.commit` into the
 * assignment's worktree (`request.assignment.worktree_path`), so the orchestrator reads them back from git
 * like any agent's work. Each dispatch plays the card's next step (see {@link AgentScript}); a card with no
 * script at all commits one file, {@link defaultAgentFile}, whose content names the execution.
 *
 * Idempotent per `execution_id`, as the port demands: a repeated call with a started execution id plays
 * nothing and answers that run's outcome (waiting for it if it is still running; the repeated caller's own
 * abort ends only its wait). It remembers every running execution and the newest `log_limit` finished ones;
 * a repeat of a finished execution forgotten since plays the card's next step as a new start.
 *
 * Progress goes to `options.onProgress`: `started <card_id> on <branch>`, `writing <path>` / `deleting <path>`,
 * `committed <sha>`, `finished: <outcome>`. An aborted signal (before or during `delay_ms`) fails with
 * `cancelled`; a `delay_ms` beyond `timeout_ms` fails with `timeout`; a step's `fail` is returned as is; a
 * git error while committing or writing (e.g. no such worktree or branch) is returned as is; an assignment
 * without `worktree_path` fails with `port_failure`.
 *
 * @example
 * const agent = createScriptedAgent(git, {
 *   [cardId]: [{ commits: [{ files: { "src/cart.ts": "export const total = 0;\n" } }] }],
 *   "*": [{ outcome: "agent_error", summary: "crashed" }],
 * });
 */
export function createScriptedAgent(
  git: ScriptedAgentGit,
  script: AgentScript = {},
  options: {
    readonly name?: string;
    /**
     * How many entries `dispatches` and `replays` keep, and how many finished execution ids it remembers for
     * joining a repeated call, the newest (default {@link DEFAULT_LOG_LIMIT}); running ones are always kept.
     * Also how many cards' places in a script of several steps it remembers, the most recently dispatched: a
     * card forgotten that way plays its steps from the first again.
     */
    readonly log_limit?: number;
  } = {},
): ScriptedAgent {
  const name = options.name ?? "scripted-agent";
  const steps = new Map<string, readonly AgentScriptStep[]>(Object.entries(script));
  /**
   * Dispatches of each card since its steps were (re)set, for cards on a script of several steps (on one step
   * the count changes nothing). Bounded like the logs: a long-lived agent on a `"*"` script sees a new card per
   * lifecycle, and a card not dispatched while `log_limit` others were starts its steps over.
   */
  const played = createBoundedMap<string, number>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  const log = new BoundedLog<ScriptedDispatch>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  const replayed = new BoundedLog<string>(options.log_limit ?? DEFAULT_LOG_LIMIT);
  /**
   * The run of each execution id started (every running one, the newest `log_limit` finished ones); a repeated
   * call joins it (the port is idempotent per id).
   */
  const runs = new Map<string, Promise<Result<AgentDispatchOutcome, PortError>>>();
  /** Execution ids whose run finished, in the order they finished: only these may be forgotten. */
  const finished = new Set<string>();
  const remember = options.log_limit ?? DEFAULT_LOG_LIMIT;
  const cancelled = (): Result<never, PortError> =>
    err(rungateError("cancelled", "aborted", { operation: "dispatch" }));

  const failure = (operation: string, cause: string): PortError =>
    rungateError("port_failure", "scripted_agent_failed", {
      port: "AgentDispatcher",
      adapter: name,
      operation,
      retryable: false,
      cause,
    });

  /** Waits for an earlier run on behalf of a repeated call; that caller's abort ends its wait, not the run. */
  const join = (
    run: Promise<Result<AgentDispatchOutcome, PortError>>,
    signal: AbortSignal | undefined,
  ): Promise<Result<AgentDispatchOutcome, PortError>> => {
    if (!signal) return run;
    if (signal.aborted) return Promise.resolve(cancelled());
    return new Promise((resolve) => {
      const onAbort = () => resolve(cancelled());
      signal.addEventListener("abort", onAbort, { once: true });
      void run.then((result) => {
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      });
    });
  };

  const pick = (request: AgentDispatchRequest): { step: AgentScriptStep; index: number | null } => {
    const cardId = request.assignment.card_id;
    const list = steps.get(cardId) ?? steps.get("*");
    if (!list || list.length === 0) return { step: defaultStep(request), index: null };
    if (list.length === 1) return { step: list[0] ?? {}, index: 0 };
    const count = played.get(cardId) ?? 0;
    played.set(cardId, count + 1);
    const index = Math.min(count, list.length - 1);
    return { step: list[index] ?? {}, index };
  };

  /** Plays the card's next step. Everything before the first `await` runs synchronously (pick, log). */
  const play = async (
    request: AgentDispatchRequest,
    call: AgentDispatchOptions,
  ): Promise<Result<AgentDispatchOutcome, PortError>> => {
    const { assignment, execution_id } = request;
    const { step, index } = pick(request);
    log.push({
      run_id: request.run_id,
      execution_id,
      assignment_id: assignment.id,
      card_id: assignment.card_id,
      task: request.task,
      step: index,
      limits: request.limits ?? NO_AGENT_LIMITS,
      resume_session_id: request.resume_session_id ?? null,
      sandbox: request.sandbox ?? { network: false },
    });
    const progress = (message: string) => call.onProgress?.({ execution_id, message });

    progress(`started ${assignment.card_id} on ${assignment.feature_branch}`);
    if (step.fail) return err(step.fail);
    const delay = step.delay_ms ?? 0;
    const limit = call.timeout_ms;
    const timesOut = limit !== undefined && delay > limit;
    if ((await abortableWait(timesOut ? limit : delay, call.signal)) === "aborted") return cancelled();
    if (timesOut) {
      return err(rungateError("timeout", "agent_timeout", { operation: "dispatch", timeout_ms: limit }));
    }

    for (const update of step.usage_updates ?? []) {
      const item = {
        kind: "usage" as const,
        usage: update.usage,
        cost_usd: update.cost_usd ?? null,
        num_turns: update.num_turns ?? null,
      };
      call.onProgress?.({ execution_id, message: `usage: ${JSON.stringify(update)}`, item });
      if (call.signal?.aborted) return cancelled();
    }

    const worktree = assignment.worktree_path;
    if (worktree === null)
      return err(failure("dispatch", `assignment ${assignment.id} has no worktree_path`));
    const commits = step.commits ?? [];
    let made = 0;
    for (const [i, commit] of commits.entries()) {
      for (const [path, content] of Object.entries(commit.files)) {
        progress(`${content === null ? "deleting" : "writing"} ${path}`);
      }
      const sha = git.commit({
        worktree_path: worktree,
        files: { ...commit.files },
        message: commit.message ?? `scripted commit ${i + 1} for card ${assignment.card_id}`,
        ...(commit.branch !== undefined ? { branch: commit.branch } : {}),
      });
      if (sha.isErr() && sha.error.code === "nothing_to_commit") {
        progress(`nothing to commit for commit ${i + 1}: the files already hold it`);
        continue;
      }
      if (sha.isErr()) return err(sha.error);
      made += 1;
      progress(`committed ${sha.value}`);
    }
    if (step.uncommitted) {
      for (const path of Object.keys(step.uncommitted)) progress(`writing ${path}`);
      const written = git.writeUncommitted(worktree, { ...step.uncommitted });
      if (written.isErr()) return err(written.error);
    }

    const outcome = step.outcome ?? "committed";
    progress(`finished: ${outcome}`);
    return ok({
      outcome,
      exit_code: step.exit_code ?? DEFAULT_EXIT_CODES[outcome],
      summary: step.summary ?? `scripted agent made ${made} commit${made === 1 ? "" : "s"}`,
      ...step.report,
    });
  };

  return {
    name,
    get dispatches() {
      return log.entries().map((d) => ({ ...d }));
    },
    get replays() {
      return replayed.entries();
    },
    setScript(cardId, next) {
      steps.set(cardId, [...next]);
      if (cardId === "*") {
        for (const card of played.keys()) if (!steps.has(card)) played.delete(card);
      } else {
        played.delete(cardId);
      }
    },
    dispatch(request, call = {}) {
      const earlier = runs.get(request.execution_id);
      if (earlier) {
        replayed.push(request.execution_id);
        return new ResultAsync(join(earlier, call.signal));
      }
      if (call.signal?.aborted) return new ResultAsync(Promise.resolve(cancelled()));
      const run = play(request, call).catch((cause: unknown) =>
        err(failure("dispatch", cause instanceof Error ? cause.message : String(cause))),
      );
      runs.set(request.execution_id, run);
      void run.then(() => {
        if (remember === Number.POSITIVE_INFINITY || runs.get(request.execution_id) !== run) return;
        finished.add(request.execution_id);
        for (const id of finished) {
          if (finished.size <= remember) break;
          finished.delete(id);
          runs.delete(id);
        }
      });
      return new ResultAsync(run);
    },
  };
}
