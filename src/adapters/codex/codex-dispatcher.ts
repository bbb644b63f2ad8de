import { resolve } from "node:path";
import { err, ok } from "neverthrow";
import { z } from "zod";
import { dispatchCancelled, dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import { type DispatchResult, dispatchOnce } from "../../internal/agent-dispatch/dispatch-once.js";
import {
  claimMarker,
  defaultStateDir,
  type ExecutionMarker,
  judgeOpenMarker,
  ownedByThisProcess,
  readMarker,
  removeMarker,
  replayDispatchResult,
  supersededBeforeStart,
  writeMarker,
} from "../../internal/agent-dispatch/execution-markers.js";
import { buildChildEnv } from "../../internal/child-process/child-env.js";
import {
  BUILTIN_SECRET_PATTERNS,
  compilePatterns,
  createRedactor,
  secretValues,
} from "../../internal/child-process/redact.js";
import type { AgentDispatcher, AgentDispatchOptions } from "../../ports/agent-dispatcher.js";
import { type AttemptStart, finishMarker, runAttempt } from "./codex-attempt.js";
import { CodexDispatcherConfig, type CodexDispatcherConfigInput } from "./codex-dispatcher-config.js";
import { CodexDispatchRequest, interruptedPrompt } from "./codex-request.js";
import { setUpCodex } from "./codex-setup.js";
import { killProcessesOfExecution } from "./orphans.js";

const USAGE =
  'Usage: createCodexDispatcher({ env_allow: ["OPENAI_API_KEY"], state_dir: "/var/lib/rungate/executions" }), or pass api_key.';

/** Runs of this process, per marker path: a repeated dispatch joins the one in flight. */
const inflight = new Map<string, PromiseLike<DispatchResult>>();

/**
 * An {@link AgentDispatcher} that runs OpenAI Codex through `@openai/codex-sdk` (an optional peer, imported on
 * the first dispatch) in the assignment's worktree, once per execution id.
 *
 * - **Sandbox.** Each thread runs `workspace-write` with `approvalPolicy: "never"` in the worktree; the
 *   repository's git dirs are added as writable directories (without them Codex keeps `.git` read-only and
 *   the agent cannot commit); network only when the request's `sandbox.network` says so (web search off
 *   otherwise). Codex gets only the allow-listed environment (`env_allow`, `env`), never this process's.
 * - **Limits.** Codex has no turn or dollar limit and retries some failures forever, so rungate holds it: wall
 *   time, inactivity, tokens and model requests (read from its session log while it runs), a refused key
 *   (stopped at the first 401, `no_credential`). Dollars cannot be capped: Codex reports no cost.
 * - **Once per execution id.** As the command dispatcher, with markers in `state_dir`; the thread id is
 *   recorded as soon as Codex names it, so a dispatch that finds its owner dead resumes that thread once
 *   (or starts it, when it never began); after a second death, `interrupted`. `resume_session_id` resumes an
 *   earlier attempt's thread with the new task.
 * - **Outcome.** A completed turn is `committed` ("Codex says it is done"; the orchestrator reads what it
 *   committed from git), anything else `agent_error` with its terminal reason; `timeout` and `cancelled` are
 *   port errors. Progress, summary and final message are redacted.
 *
 * Throws at construction when the options do not parse (with the reasons and an example). See
 * docs/adapters/codex.md.
 *
 * @example
 * const codex = createCodexDispatcher({
 *   env_allow: ["OPENAI_API_KEY"],
 *   model: "gpt-5-codex",
 *   state_dir: "/var/lib/rungate/executions",
 * });
 */
export function createCodexDispatcher(config: CodexDispatcherConfigInput = {}): AgentDispatcher {
  const parsedConfig = CodexDispatcherConfig.safeParse(config);
  if (!parsedConfig.success) {
    throw new Error(
      `createCodexDispatcher: invalid options:\n${z.prettifyError(parsedConfig.error)}\n${USAGE}`,
    );
  }
  const settings = parsedConfig.data;
  const { name } = settings;
  const stateDir = resolve(settings.state_dir ?? defaultStateDir());
  const patterns = compilePatterns([...BUILTIN_SECRET_PATTERNS, ...settings.redact_patterns]);
  const explicitEnv = {
    ...settings.env,
    ...(settings.codex_home === undefined ? {} : { CODEX_HOME: settings.codex_home }),
  };
  const apiKey = settings.api_key === undefined ? [] : [settings.api_key];

  const fail = (operation: string, cause: unknown, retryable = false) =>
    err(dispatcherFailure(name, operation, cause, retryable));

  /** The environment, redactor and client of one dispatch. */
  const prepare = async (request: CodexDispatchRequest) => {
    const env = buildChildEnv(
      settings.env_allow,
      { ...explicitEnv, RUNGATE_EXECUTION_ID: request.execution_id, RUNGATE_RUN_ID: request.run_id },
      process.env,
    );
    const redactor = createRedactor([...apiKey, ...secretValues([env, process.env])], patterns);
    const model = request.limits?.model ?? settings.model ?? null;
    const setup = await setUpCodex(settings, {
      worktree: request.assignment.worktree_path ?? "",
      env,
      model,
      network: request.sandbox?.network ?? false,
    });
    return setup.map((ready) => ({ setup: ready, env, redactor }));
  };

  /** A marker without a result whose owner is gone: resume its thread once, or answer `interrupted`. */
  const recover = async (
    request: CodexDispatchRequest,
    call: AgentDispatchOptions,
    timeoutMs: number,
    path: string,
    marker: ExecutionMarker,
  ): Promise<DispatchResult> => {
    // A `codex` the dead process left running would work on the same thread: it goes first.
    await killProcessesOfExecution(marker.execution_id);
    if ((marker.resumed ?? 0) >= 1) {
      const summary = `the process that ran this execution (pid ${marker.owner_pid}) ended before recording Codex's end, after its thread had already been resumed once; nothing was started again`;
      return finishMarker(
        path,
        marker,
        ok({ outcome: "interrupted", exit_code: null, summary, session_id: marker.session_id ?? null }),
      );
    }
    const prepared = await prepare(request);
    if (prepared.isErr()) return err(prepared.error);
    const { setup, env, redactor } = prepared.value;
    const taken: ExecutionMarker = {
      ...marker,
      ...ownedByThisProcess(),
      spawning: true,
      resumed: (marker.resumed ?? 0) + 1,
    };
    await writeMarker(path, taken);
    const threadId = marker.session_id ?? null;
    const start: AttemptStart =
      threadId === null
        ? // It died before Codex named a thread: nothing to resume, so the attempt starts (once more).
          { kind: "new", prompt: request.task }
        : {
            kind: "resume",
            thread_id: threadId,
            prompt: interruptedPrompt(request.task),
            own_thread: (request.resume_session_id ?? null) === null,
          };
    return runAttempt({
      settings,
      request,
      call,
      timeout_ms: timeoutMs,
      path,
      marker: taken,
      setup,
      env,
      redactor,
      start,
    });
  };

  /** Answers a dispatch whose execution already has a marker. */
  const replay = async (
    request: CodexDispatchRequest,
    call: AgentDispatchOptions,
    timeoutMs: number,
    path: string,
    marker: ExecutionMarker,
  ): Promise<DispatchResult | "start"> => {
    if (marker.result !== null) return replayDispatchResult(marker.result);
    const standing = judgeOpenMarker(marker, request.takeover);
    if (standing === "running") {
      return fail(
        "dispatch",
        `execution ${marker.execution_id} is being run by process ${marker.owner_pid}; try again once it ends`,
        true,
      );
    }
    if (standing === "never_started") {
      // Its process died between the claim and the start of `codex`: it never ran, so this call runs it.
      await removeMarker(path);
      return "start";
    }
    if (standing === "superseded") {
      // Taken over from an owner that still exists but lost its lease before starting `codex`: woken, it
      // would start it, so it is not started here too; another attempt follows.
      return finishMarker(path, marker, ok(supersededBeforeStart(marker)));
    }
    return recover(request, call, timeoutMs, path, marker);
  };

  const execute = async (
    request: CodexDispatchRequest,
    call: AgentDispatchOptions,
    timeoutMs: number,
    path: string,
  ): Promise<DispatchResult> => {
    const existing = await readMarker(path);
    if (existing) {
      const answer = await replay(request, call, timeoutMs, path, existing);
      if (answer !== "start") return answer;
    }
    const prepared = await prepare(request);
    if (prepared.isErr()) return err(prepared.error);
    const { setup, env, redactor } = prepared.value;
    const resumeId = request.resume_session_id ?? null;
    const marker: ExecutionMarker = {
      version: 1,
      execution_id: request.execution_id,
      run_id: request.run_id,
      assignment_id: request.assignment.id,
      ...ownedByThisProcess(),
      agent_pgid: null,
      spawning: false,
      // The dispatcher reads nothing in the agent's repository: the orchestrator reads the work from git.
      head_before: null,
      context_dir: null,
      session_id: resumeId,
      started_at: new Date().toISOString(),
      result: null,
    };
    if (!(await claimMarker(path, marker))) {
      const other = await readMarker(path);
      if (other === null) return fail("dispatch", `marker ${path} vanished`, true);
      const answer = await replay(request, call, timeoutMs, path, other);
      return answer === "start" ? fail("dispatch", `marker ${path} was taken over meanwhile`, true) : answer;
    }
    if (call.signal?.aborted) {
      await removeMarker(path);
      return err(dispatchCancelled());
    }
    const start: AttemptStart =
      resumeId === null
        ? { kind: "new", prompt: request.task }
        : { kind: "resume", thread_id: resumeId, prompt: request.task, own_thread: false };
    return runAttempt({
      settings,
      request,
      call,
      timeout_ms: timeoutMs,
      path,
      marker,
      setup,
      env,
      redactor,
      start,
    });
  };

  return {
    name,
    // What Codex is handed that is secret (the key, variables named like secrets), for the orchestrator.
    secret_values: [
      ...new Set([...apiKey, ...secretValues([buildChildEnv(settings.env_allow, explicitEnv, process.env)])]),
    ],
    dispatch: dispatchOnce({
      name,
      stateDir,
      schema: CodexDispatchRequest,
      inflight,
      execute: (request, call, callTimeout, path) =>
        execute(request, call, Math.min(settings.timeout_ms, callTimeout ?? Number.POSITIVE_INFINITY), path),
    }),
  };
}
