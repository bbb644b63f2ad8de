import { mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { err, ok } from "neverthrow";
import { z } from "zod";
import { dispatchCancelled, dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import { type DispatchResult, dispatchOnce } from "../../internal/agent-dispatch/dispatch-once.js";
import {
  defaultStateDir,
  type ExecutionMarker,
  removeMarker,
  writeMarker,
  writeMarkerSync,
} from "../../internal/agent-dispatch/execution-markers.js";
import { buildChildEnv } from "../../internal/child-process/child-env.js";
import {
  BUILTIN_SECRET_PATTERNS,
  compilePatterns,
  createRedactor,
  type Redactor,
  secretValues,
} from "../../internal/child-process/redact.js";
import type { AgentDispatcher, AgentDispatchOptions } from "../../ports/agent-dispatcher.js";
import { ClaudeDispatcherConfig, type ClaudeDispatcherConfigInput } from "./claude-dispatcher-config.js";
import { buildQueryOptions, type SessionStart } from "./claude-options.js";
import { createProgressEmitter } from "./claude-progress.js";
import { loadClaudeQuery } from "./claude-query.js";
import { runSession } from "./claude-session.js";
import { createClaudeSpawner, sandboxPathsOf } from "./claude-spawn.js";
import {
  DispatchRequestSchema,
  effectiveLimits,
  type ParsedRequest,
  resumePrompt,
} from "./dispatch-request.js";
import { claimExecution, finishExecution } from "./execution-claim.js";
import { readBranchHead, readGitDirs } from "./git-files.js";
import { createPathGuard } from "./path-guard.js";
import { concludeSession } from "./session-conclusion.js";

const USAGE =
  'Usage: createClaudeDispatcher({ env_allow: ["ANTHROPIC_API_KEY"], state_dir: "/var/lib/rungate/executions" }).';

/** Runs of this process, per marker path: a repeated dispatch joins the one in flight. */
const inflight = new Map<string, PromiseLike<DispatchResult>>();

/**
 * An {@link AgentDispatcher} that runs Claude Code through the Claude Agent SDK (`@anthropic-ai/claude-agent-sdk`,
 * an optional peer, imported on the first dispatch) in the assignment's worktree, once per execution id. See
 * docs/adapters/claude.md.
 *
 * - **Session = execution.** A fresh dispatch starts session `execution_id`; a redispatch with
 *   `resume_session_id` forks that session into a new one named by its own execution id; a dispatch that
 *   finds its execution's previous owner dead mid-session resumes that session once (a second such death
 *   answers `interrupted`); a finished execution answers its stored end; one a live process runs fails
 *   `port_failure` (retryable).
 * - **Writes judged before they happen.** A PreToolUse hook (every tool call, every permission mode) and
 *   `canUseTool` (what the mode would ask a person) judge Write, Edit, MultiEdit, NotebookEdit and the files a
 *   Bash command visibly writes against the assignment's path rules, inside the worktree; refusals are kept
 *   in `permission_denials`. The orchestrator's diff check after the run is the backstop.
 * - **Limits.** `maxTurns`, `maxBudgetUsd` and the model go to the SDK; wall time, inactivity and `max_tokens`
 *   are enforced by the dispatcher, which stops the whole process group.
 * - **Environment.** Built from an allow-list (`env_allow`, `env`); secrets of it are redacted from
 *   everything that leaves the adapter and listed in `secret_values`.
 *
 * Throws at construction when the options do not parse (with the reasons and an example).
 *
 * @example
 * const dispatcher = createClaudeDispatcher({
 *   env_allow: ["ANTHROPIC_API_KEY"],
 *   state_dir: "/var/lib/rungate/executions",
 *   default_limits: { max_turns: 60, max_cost_usd: 5 },
 * });
 */
export function createClaudeDispatcher(config: ClaudeDispatcherConfigInput = {}): AgentDispatcher {
  const parsed = ClaudeDispatcherConfig.safeParse(config);
  if (!parsed.success) {
    throw new Error(`createClaudeDispatcher: invalid options:\n${z.prettifyError(parsed.error)}\n${USAGE}`);
  }
  const options = parsed.data;
  const { name } = options;
  const stateDir = resolve(options.state_dir ?? defaultStateDir());
  const patterns = compilePatterns([...BUILTIN_SECRET_PATTERNS, ...options.redact_patterns]);
  const configDir =
    options.claude_config_dir !== undefined
      ? resolve(options.claude_config_dir)
      : options.sandbox !== undefined
        ? join(stateDir, "claude-config")
        : null;
  const fail = (operation: string, cause: unknown, retryable = false) =>
    err(dispatcherFailure(name, operation, cause, retryable));

  const execute = async (
    request: ParsedRequest,
    call: AgentDispatchOptions,
    path: string,
  ): Promise<DispatchResult> => {
    const { assignment, execution_id } = request;
    const worktree = resolve(assignment.worktree_path ?? "");
    const isDirectory = await stat(worktree).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDirectory) return fail("dispatch", `the worktree ${worktree} is not a directory`);
    const guard = createPathGuard(worktree, {
      allowed: assignment.allowed_paths,
      forbidden: assignment.forbidden_paths,
    });
    if (guard.isErr()) return err(guard.error);
    const gitDirs = await readGitDirs(worktree);
    const readHead = async () =>
      gitDirs === null ? null : readBranchHead(gitDirs, assignment.feature_branch);

    const claim = await claimExecution({
      adapter: name,
      path,
      execution_id,
      ...(request.takeover === undefined ? {} : { takeover: request.takeover }),
      run_id: request.run_id,
      assignment_id: assignment.id,
      session_id: execution_id,
      headBefore: readHead,
    });
    if (claim.kind === "answer") return claim.result;
    const { marker, resume } = claim;
    // What a start that never happened leaves: the execution startable again (or resumable again).
    const release = async () => {
      if (resume) await writeMarker(path, { ...marker, resumed: Math.max(0, (marker.resumed ?? 1) - 1) });
      else await removeMarker(path);
    };
    if (call.signal?.aborted) {
      await release();
      return err(dispatchCancelled());
    }
    const start: SessionStart = resume
      ? { kind: "resume", session_id: marker.session_id ?? execution_id }
      : request.resume_session_id
        ? { kind: "fork", from: request.resume_session_id, session_id: execution_id }
        : { kind: "new", session_id: execution_id };
    const sandboxPaths = sandboxPathsOf(name, worktree, gitDirs, configDir);
    if (options.sandbox !== undefined) {
      // Checked before anything starts: a sandbox that cannot run means no start, never an unsandboxed one.
      const probe = sandboxPaths.isOk()
        ? options.sandbox.wrap({ argv: [process.execPath], cwd: worktree, ...sandboxPaths.value })
        : sandboxPaths;
      if (probe.isErr()) {
        await release();
        return fail("start Claude Code", probe.error.message);
      }
    }
    if (configDir !== null) await mkdir(configDir, { recursive: true, mode: 0o700 });
    const query = options.query !== undefined ? ok(options.query) : await loadClaudeQuery(name);
    if (query.isErr()) {
      await release();
      return err(query.error);
    }

    const env = buildChildEnv(
      options.env_allow,
      {
        ...options.env,
        ...(configDir === null ? {} : { CLAUDE_CONFIG_DIR: configDir }),
        RUNGATE_EXECUTION_ID: execution_id,
        RUNGATE_RUN_ID: request.run_id,
      },
      process.env,
    );
    const redactor: Redactor = createRedactor(secretValues([env, process.env]), patterns);
    const emit = createProgressEmitter(execution_id, redactor, call.onProgress);
    let running: ExecutionMarker = { ...marker, spawning: true };
    await writeMarker(path, running);
    const spawner = createClaudeSpawner({
      sandbox: options.sandbox,
      sandbox_paths: sandboxPaths.unwrapOr({ writable: [], readable: [] }),
      onSpawn: (pgid) => {
        running = { ...running, agent_pgid: pgid };
        try {
          writeMarkerSync(path, running);
        } catch {
          // The group id only helps an heir kill orphans; the run goes on without it.
        }
      },
    });
    const limits = effectiveLimits(options, request, call.timeout_ms);
    const verb =
      start.kind === "new" ? "starting" : start.kind === "resume" ? "resuming" : `forking ${start.from} into`;
    emit({
      message: `rungate: ${verb} Claude Code session ${start.session_id} for card ${assignment.card_id} on ${assignment.feature_branch}`,
    });
    const end = await runSession({
      query: query.value,
      prompt: resume ? resumePrompt(request.task) : request.task,
      session_id: start.session_id,
      worktree,
      guard: guard.value,
      spawner,
      options: (owned) =>
        buildQueryOptions({
          config: options,
          worktree,
          env,
          limits,
          network: request.sandbox?.network ?? false,
          start,
          ...owned,
        }),
      wall_ms: limits.wall_ms,
      inactivity_ms: limits.inactivity_ms,
      max_tokens: limits.max_tokens,
      kill_grace_ms: options.kill_grace_ms,
      signal: call.signal,
      progress: emit,
    });
    if (
      end.kind === "ended" &&
      end.report.result === null &&
      spawner.exit() === null &&
      running.agent_pgid === null
    ) {
      // Claude Code never started (no executable, a sandbox that refused it): nothing ran, so nothing is spent.
      await release();
      const why = spawner.failure() ?? end.report.failure ?? "the SDK ended before starting Claude Code";
      emit({ message: `rungate: could not start Claude Code: ${why}` });
      return fail("start Claude Code", redactor.redact(why));
    }
    return finishExecution(
      path,
      running,
      await concludeSession(end, limits, redactor, readHead, running.head_before, emit),
    );
  };

  return {
    name,
    // What the agent is handed that is secret (by variable name), for the orchestrator's redaction.
    secret_values: secretValues([buildChildEnv(options.env_allow, options.env, process.env)]),
    // The call's own wall time reaches `execute` through `call.timeout_ms` (parsed by dispatchOnce).
    dispatch: dispatchOnce({
      name,
      stateDir,
      schema: DispatchRequestSchema,
      inflight,
      execute: (request, call, _timeout, path) => execute(request, call, path),
    }),
  };
}
