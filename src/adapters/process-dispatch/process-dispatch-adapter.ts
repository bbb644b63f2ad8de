import { readFileSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { err, ok } from "neverthrow";
import { z } from "zod";
import type { CardAssignment } from "../../core/schemas/card-assignment.js";
import {
  agentStartFailure,
  dispatchCancelled,
  dispatcherFailure,
  dispatchTimedOut,
} from "../../internal/agent-dispatch/dispatch-errors.js";
import {
  DispatchRequestBase,
  type DispatchResult,
  dispatchOnce,
  ExecutionIdField,
  withWorktree,
} from "../../internal/agent-dispatch/dispatch-once.js";
import {
  CONTEXT_DIR_PREFIX,
  claimMarker,
  defaultStateDir,
  type ExecutionMarker,
  judgeOpenMarker,
  ownedByThisProcess,
  readMarker,
  removeContextDir,
  removeMarker,
  replayDispatchResult,
  storeDispatchResult,
  supersededBeforeStart,
  writeMarker,
  writeMarkerSync,
} from "../../internal/agent-dispatch/execution-markers.js";
import { buildChildEnv } from "../../internal/child-process/child-env.js";
import {
  BUILTIN_SECRET_PATTERNS,
  compilePatterns,
  createRedactor,
  type Redactor,
  renderTail,
  secretValues,
} from "../../internal/child-process/redact.js";
import { runProcess, signalGroup } from "../../internal/child-process/run-process.js";
import type { AgentDispatcher, AgentDispatchOptions } from "../../ports/agent-dispatcher.js";
import type { ProcessSandbox } from "../../ports/process-sandbox.js";
import { describeOutcome, judgeOutcome } from "./agent-outcome.js";
import {
  COMMAND_PLACEHOLDERS,
  CommandDispatcherConfig,
  type CommandDispatcherConfigInput,
} from "./process-dispatch-config.js";
import { resolveProgram } from "./program-path.js";

/** What a dispatcher factory resolves its options into. */
export interface ProcessDispatcherSettings {
  readonly name: string;
  /** The command template, with {@link COMMAND_PLACEHOLDERS}. */
  readonly command: readonly string[];
  /** The value of `{agent}` for an assignment. */
  readonly agentName: (assignment: CardAssignment) => string;
  readonly env_allow: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly timeout_ms: number;
  readonly progress_line_cap: number;
  readonly summary_cap_bytes: number;
  readonly redact_patterns: readonly string[];
  readonly state_dir: string | undefined;
  readonly kill_grace_ms: number;
  /** Where the agent runs; `undefined`: as this process's user, unsandboxed. */
  readonly sandbox?: ProcessSandbox | undefined;
}

type Placeholder = (typeof COMMAND_PLACEHOLDERS)[number];

const USAGE =
  'Usage: createCommandDispatcher({ command: ["my-agent", "--task", "{task}"], env_allow: ["ANTHROPIC_API_KEY"] }), or createAgenticFlowDispatcher({ provider: "anthropic" }).';

/** Extra bytes kept before the summary cap so a secret cut at the start of the tail is dropped, not shown. */
const MIN_REDACTION_MARGIN = 4096;

/** The request as it crosses the port: parsed before anything runs. */
const DispatchRequestSchema = withWorktree(
  DispatchRequestBase.extend({
    execution_id: ExecutionIdField,
  }),
);
type ParsedRequest = z.infer<typeof DispatchRequestSchema>;

/** Runs of this process, per marker path: a repeated dispatch joins the one in flight. */
const inflight = new Map<string, PromiseLike<DispatchResult>>();

/** Replaces placeholders in one pass (a value containing `{branch}` is not expanded again). */
function expand(template: readonly string[], values: { readonly [P in Placeholder]: string }): string[] {
  const pattern = new RegExp(`\\{(${COMMAND_PLACEHOLDERS.join("|")})\\}`, "g");
  return template.map((arg) => arg.replace(pattern, (_, key: Placeholder) => values[key]));
}

function truncate(line: string, cap: number): string {
  return line.length <= cap ? line : `${line.slice(0, cap - 1)}…`;
}

/**
 * True when a marker's execution never started its agent: no result, not yet spawning, and its owner is
 * gone (or is this process, which has no run of it in flight: a repeated call would have joined it).
 */
function neverSpawned(marker: ExecutionMarker, takeover: boolean | undefined): boolean {
  return marker.result === null && judgeOpenMarker(marker, takeover) === "never_started";
}

/**
 * True when the process group `pgid` may be killed as the orphan of `executionId`: its leader is gone (what is
 * left of the group is the agent's), or, where `/proc` exists, the leader's environment names the execution
 * (a group id reused by an unrelated program is left alone).
 */
function isOrphanOf(pgid: number, executionId: string): boolean {
  let environ: string;
  try {
    environ = readFileSync(`/proc/${pgid}/environ`, "utf8");
  } catch (error) {
    // No such entry: the leader is gone (or there is no /proc to ask); anything else: not ours to judge.
    return (error as NodeJS.ErrnoException).code === "ENOENT";
  }
  return environ.split("\0").includes(`RUNGATE_EXECUTION_ID=${executionId}`);
}

/**
 * The dispatcher behind {@link createCommandDispatcher} and `createAgenticFlowDispatcher`: runs a command in
 * the assignment's worktree, once per execution id. Not exported from the package: build one through a
 * factory.
 */
export function createProcessDispatcher(settings: ProcessDispatcherSettings): AgentDispatcher {
  const { name } = settings;
  const patterns = compilePatterns([...BUILTIN_SECRET_PATTERNS, ...settings.redact_patterns]);
  const stateDir = resolve(settings.state_dir ?? defaultStateDir());

  const fail = (operation: string, cause: unknown, retryable = false) =>
    err(dispatcherFailure(name, operation, cause, retryable));

  /** Records the end of a run in its marker. */
  const finish = async (path: string, marker: ExecutionMarker, result: DispatchResult) => {
    await writeMarker(path, { ...marker, result: storeDispatchResult(result) });
    return result;
  };

  /** Answers a call for an execution id that already has a marker, without starting anything. */
  const replay = async (
    request: ParsedRequest,
    path: string,
    marker: ExecutionMarker,
  ): Promise<DispatchResult> => {
    if (marker.result !== null) {
      return replayDispatchResult(marker.result);
    }
    const standing = judgeOpenMarker(marker, request.takeover);
    if (standing === "running") {
      return fail(
        "dispatch",
        `execution ${marker.execution_id} is being run by process ${marker.owner_pid}; try again once it ends`,
        true,
      );
    }
    if (standing === "superseded") return finish(path, marker, ok(supersededBeforeStart(marker)));
    // The process that ran it died before recording the end: never start it again; whatever the agent
    // left running is an orphan and goes (with its context file), and the outcome is read from git.
    if (marker.agent_pgid !== null && isOrphanOf(marker.agent_pgid, marker.execution_id)) {
      signalGroup(marker.agent_pgid, "SIGKILL");
    }
    await removeContextDir(marker);
    // Whatever the agent did before, its attempt did not end by itself: `interrupted`, and the orchestrator
    // starts another attempt rather than judging a half-done one (or calling "no commit yet" a failure).
    const summary = `the process that ran this execution (pid ${marker.owner_pid}) ended before recording the agent's end`;
    const outcome = "interrupted" as const;
    return finish(path, marker, ok({ outcome, exit_code: null, summary }));
  };

  const execute = async (
    request: ParsedRequest,
    call: AgentDispatchOptions,
    timeoutMs: number,
    path: string,
  ): Promise<DispatchResult> => {
    const existing = await readMarker(path);
    if (existing && neverSpawned(existing, request.takeover)) {
      // Its process died between the claim and the spawn: no agent ever ran for it, so this call runs it.
      // (The card's lease keeps a second caller away meanwhile.)
      await removeContextDir(existing);
      await removeMarker(path);
    } else if (existing) {
      return replay(request, path, existing);
    }

    const { assignment, execution_id } = request;
    // A directory is all that is checked: the repository in it is the agent's (no git runs there).
    const worktree = assignment.worktree_path ?? "";
    const isDirectory = await stat(worktree).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDirectory) return fail("dispatch", `the worktree ${worktree} is not a directory`);
    // Made before the claim, so that the marker names it from the start: a process killed at any point
    // after the claim leaves a directory its heir (or pruneExecutionMarkers) can find and remove.
    const contextDir = await mkdtemp(join(tmpdir(), CONTEXT_DIR_PREFIX));
    try {
      const marker: ExecutionMarker = {
        version: 1,
        execution_id,
        run_id: request.run_id,
        assignment_id: assignment.id,
        ...ownedByThisProcess(),
        agent_pgid: null,
        spawning: false,
        // The dispatcher reads nothing in the agent's repository (see agent-outcome.ts).
        head_before: null,
        context_dir: contextDir,
        started_at: new Date().toISOString(),
        result: null,
      };
      if (!(await claimMarker(path, marker))) {
        const other = await readMarker(path);
        return other ? replay(request, path, other) : fail("dispatch", `marker ${path} vanished`, true);
      }
      if (call.signal?.aborted) {
        await removeMarker(path);
        return err(dispatchCancelled());
      }
      return await runAgent(request, call, timeoutMs, path, marker, contextDir);
    } finally {
      await rm(contextDir, { recursive: true, force: true });
    }
  };

  const runAgent = async (
    request: ParsedRequest,
    call: AgentDispatchOptions,
    timeoutMs: number,
    path: string,
    marker: ExecutionMarker,
    contextDir: string,
  ): Promise<DispatchResult> => {
    const { assignment, execution_id, task } = request;
    const worktree = assignment.worktree_path ?? "";
    const contextFile = join(contextDir, "context.json");
    const context = {
      run_id: request.run_id,
      execution_id,
      assignment: {
        id: assignment.id,
        card_id: assignment.card_id,
        agent_role: assignment.agent_role,
        agent_profile: assignment.agent_profile,
        feature_branch: assignment.feature_branch,
        allowed_paths: assignment.allowed_paths,
        forbidden_paths: assignment.forbidden_paths,
        worktree_path: worktree,
      },
      task,
    };
    await writeFile(contextFile, `${JSON.stringify(context, null, 2)}\n`, { mode: 0o600 });

    const env = buildChildEnv(
      settings.env_allow,
      {
        ...settings.env,
        RUNGATE_CONTEXT_FILE: contextFile,
        RUNGATE_TASK: task,
        RUNGATE_BRANCH: assignment.feature_branch,
        RUNGATE_ALLOWED_PATHS: JSON.stringify(assignment.allowed_paths),
        RUNGATE_FORBIDDEN_PATHS: JSON.stringify(assignment.forbidden_paths),
        RUNGATE_EXECUTION_ID: execution_id,
        RUNGATE_RUN_ID: request.run_id,
      },
      process.env,
    );
    const redactor: Redactor = createRedactor(secretValues([env, process.env]), patterns);
    const margin = Math.max(MIN_REDACTION_MARGIN, redactor.longest_secret_bytes + 16);
    const argv = expand(settings.command, {
      task,
      agent: settings.agentName(assignment),
      branch: assignment.feature_branch,
      worktree,
      context_file: contextFile,
      execution_id,
      run_id: request.run_id,
      assignment_id: assignment.id,
      card_id: assignment.card_id,
      timeout_ms: String(timeoutMs),
    });
    const progress = (message: string) => {
      try {
        call.onProgress?.({
          execution_id,
          message: truncate(redactor.redact(message), settings.progress_line_cap),
        });
      } catch {
        // A listener's failure must not break the run.
      }
    };

    progress(
      `rungate: starting ${argv[0] ?? ""} for card ${assignment.card_id} on ${assignment.feature_branch}`,
    );
    const program = await resolveProgram(argv[0] ?? "", env, worktree);
    if ("code" in program) {
      await removeMarker(path);
      progress(`rungate: could not start ${argv[0] ?? ""} (${program.code})`);
      return err(
        agentStartFailure(
          name,
          redactor.redact(argv[0] ?? ""),
          program.code,
          redactor.redact(program.reason),
        ),
      );
    }
    // The agent starts held (see ProcessSpec.gate): it runs only once the marker durably says it may have
    // started (`spawning`, with its group). A crash before that leaves a marker saying it never started, and
    // the held child exits on its own: the execution may then run; after that, it never runs twice.
    let running: ExecutionMarker = marker;
    let released = false;
    let gateFailure: unknown = null;
    const report = await runProcess({
      argv: [program.path, ...argv.slice(1)],
      cwd: worktree,
      env,
      // The context file lives outside the worktree: the sandbox must let the agent read it.
      ...(settings.sandbox === undefined
        ? {}
        : { sandbox: settings.sandbox, sandbox_paths: { writable: [], readable: [contextDir] } }),
      timeout_ms: timeoutMs,
      kill_grace_ms: settings.kill_grace_ms,
      tail_bytes: settings.summary_cap_bytes + margin,
      // Long enough that a line cut here is cut again, after redaction, by the (smaller) character cap.
      max_line_bytes: 4 * settings.progress_line_cap + margin,
      onLine: progress,
      gate: true,
      onSpawn: (pid, release) => {
        const next = { ...marker, spawning: true, agent_pgid: pid };
        try {
          // Synchronous, so that the release follows in the same tick: no await between the two.
          writeMarkerSync(path, next);
        } catch (cause) {
          gateFailure = cause;
          return;
        }
        running = next;
        released = true;
        release?.();
      },
      ...(call.signal === undefined ? {} : { signal: call.signal }),
    });
    if (!released) {
      // The held child ended without running the agent.
      await removeMarker(path).catch(() => undefined);
      if (report.end.kind === "not_started") {
        progress(`rungate: could not start ${argv[0] ?? ""} (${report.end.code})`);
        return err(
          agentStartFailure(
            name,
            redactor.redact(argv[0] ?? ""),
            report.end.code,
            redactor.redact(report.end.reason),
          ),
        );
      }
      return fail("dispatch", gateFailure ?? "the agent was not started", true);
    }

    const { end } = report;
    // The output's tail, also for an agent stopped on time-out or abort: what it last said is evidence.
    const tailText = () =>
      settings.summary_cap_bytes > 0
        ? renderTail(report.tail, report.dropped, settings.summary_cap_bytes, redactor).trimEnd()
        : "";
    switch (end.kind) {
      case "not_started":
        await removeMarker(path);
        progress(`rungate: could not start ${argv[0] ?? ""} (${end.code})`);
        return err(
          agentStartFailure(name, redactor.redact(argv[0] ?? ""), end.code, redactor.redact(end.reason)),
        );
      case "aborted":
        progress("rungate: cancelled; the agent's process group was killed");
        return finish(path, running, err(dispatchCancelled(tailText())));
      case "timed_out":
        progress(`rungate: timed out after ${timeoutMs} ms; the agent's process group was killed`);
        return finish(path, running, err(dispatchTimedOut(timeoutMs, tailText())));
      case "exited":
        break;
    }
    const exit = { exit_code: end.exit_code, signal: end.signal };
    const outcome = judgeOutcome(exit);
    const sentence = describeOutcome(outcome, exit);
    const tail = tailText();
    const summary = tail.length > 0 ? `${sentence}\n--- last output ---\n${tail}` : sentence;
    progress(`rungate: finished: ${outcome}`);
    return finish(path, running, ok({ outcome, exit_code: end.exit_code, summary }));
  };

  return {
    name,
    // What the agent is handed that is secret (by variable name), for the orchestrator's redaction.
    secret_values: secretValues([buildChildEnv(settings.env_allow, settings.env, process.env)]),
    dispatch: dispatchOnce({
      name,
      stateDir,
      schema: DispatchRequestSchema,
      inflight,
      execute: (request, call, callTimeout, path) =>
        execute(request, call, Math.min(settings.timeout_ms, callTimeout ?? Number.POSITIVE_INFINITY), path),
    }),
  };
}

/**
 * An {@link AgentDispatcher} that runs any agent command (execa 9) in the assignment's worktree, once per
 * execution id.
 *
 * - **Hand-over.** The command's arguments may hold placeholders (`{task}`, `{branch}`, `{context_file}`, …,
 *   see `COMMAND_PLACEHOLDERS`). The agent also gets a JSON context file outside the worktree (path in
 *   `RUNGATE_CONTEXT_FILE`: run and execution ids, the assignment's id, card, branch, path rules and worktree,
 *   and the task) and `RUNGATE_TASK`, `RUNGATE_BRANCH`, `RUNGATE_ALLOWED_PATHS` / `RUNGATE_FORBIDDEN_PATHS`
 *   (JSON arrays), `RUNGATE_EXECUTION_ID`, `RUNGATE_RUN_ID`. Of the host environment only PATH, HOME, LANG,
 *   TMPDIR, CI, NODE_* and `env_allow` pass.
 * - **Progress.** Every output line (stdout and stderr) goes to `onProgress`, secrets redacted, cut to
 *   `progress_line_cap` characters, plus the dispatcher's own `rungate: …` lines.
 * - **Outcome.** A non-zero exit is `agent_error` with the exit code; exit 0 is `committed`, meaning only "the
 *   agent says it is done". The dispatcher runs no git in the agent's repository (the agent owns its config:
 *   a git process there would run what that config names); the orchestrator reads what was committed, the
 *   branch, uncommitted files and other refs through rungate's own git (`GitPort.importWork`). The summary
 *   ends with the output's redacted tail.
 * - **Limits.** On time-out (the smaller of `timeout_ms` and the call's) or abort the agent's whole process
 *   group gets SIGTERM, then SIGKILL after `kill_grace_ms`; the call fails with `timeout` / `cancelled`. A
 *   program that cannot start fails with `port_failure` and leaves the execution startable again.
 * - **Once per execution id.** A marker `<state_dir>/<execution_id>.json` records each run and its end; a
 *   repeated call returns the recorded end, joins a run in flight in this process, fails retryably while
 *   another live process runs it, and, when the process that ran it died, kills the orphaned agent group and
 *   answers `committed`, leaving the judgement to git. Never starts the agent twice. Markers are kept; `pruneExecutionMarkers`
 *   removes old ones of ended executions.
 *
 * Throws at construction when the options do not parse (with the reasons and an example).
 *
 * @example
 * const dispatcher = createCommandDispatcher({
 *   command: ["my-agent", "--task", "{task}", "--branch", "{branch}"],
 *   env_allow: ["ANTHROPIC_API_KEY"],
 *   state_dir: "/var/lib/rungate/executions",
 * });
 */
export function createCommandDispatcher(config: CommandDispatcherConfigInput): AgentDispatcher {
  const parsed = CommandDispatcherConfig.safeParse(config);
  if (!parsed.success) {
    throw new Error(`createCommandDispatcher: invalid options:\n${z.prettifyError(parsed.error)}\n${USAGE}`);
  }
  const options = parsed.data;
  return createProcessDispatcher({
    ...options,
    state_dir: options.state_dir,
    agentName: (assignment) => assignment.agent_profile ?? assignment.agent_role,
  });
}
