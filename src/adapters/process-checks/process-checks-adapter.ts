import { readdir, stat } from "node:fs/promises";
import { err, ok, type Result, ResultAsync } from "neverthrow";
import { z } from "zod";
import { parseInput } from "../../core/parse.js";
import { RunCheckType } from "../../core/schemas/check-type.js";
import { buildChildEnv } from "../../internal/child-process/child-env.js";
import {
  BUILTIN_SECRET_PATTERNS,
  compilePatterns,
  createRedactor,
  type Redactor,
  renderTail,
  secretValues,
} from "../../internal/child-process/redact.js";
import { type ProcessEnd, runProcess } from "../../internal/child-process/run-process.js";
import { describeStartFailure } from "../../internal/child-process/start-failure.js";
import type {
  CheckRunner,
  CheckRunOptions,
  CheckRunRequest,
  CheckRunResult,
} from "../../ports/check-runner.js";
import type { PortError } from "../../ports/port-error.js";
import { checkCancelled, toCheckRunnerFailure } from "./map-process-checks-errors.js";
import { detectPreparePreset, PREPARE_PRESETS, packageCacheEnv } from "./prepare-presets.js";
import {
  CheckCommandConfig,
  type PrepareConfig,
  ProcessCheckRunnerConfig,
  type ProcessCheckRunnerConfigInput,
} from "./process-checks-config.js";
import { Semaphore } from "./semaphore.js";

/**
 * The command that prepares a check tree, or `null` when nothing is to be installed: a preset name resolves to
 * its command, `"detect"` to the preset the tree's root files point to (none: `null`), and a shared
 * `cache_dir` is handed to every package manager through its environment.
 */
async function resolvePrepare(
  prepare: PrepareConfig,
  cacheDir: string | null,
  worktree: string,
): Promise<CheckCommandConfig | null> {
  if (prepare === null) return null;
  const preset =
    prepare === "detect"
      ? detectPreparePreset(await readdir(worktree).catch(() => []))
      : typeof prepare === "string"
        ? prepare
        : null;
  if (prepare === "detect" && preset === null) return null;
  const base: CheckCommandConfig =
    typeof prepare === "object"
      ? prepare
      : CheckCommandConfig.parse({ command: [...PREPARE_PRESETS[preset ?? "npm"].command] });
  return cacheDir === null ? base : { ...base, env: { ...packageCacheEnv(cacheDir), ...base.env } };
}

const USAGE =
  'Usage: createProcessCheckRunner({ checks: { unit: { command: ["npm", "test"] }, lint: { command: ["npm", "run", "lint"] } } }), or createProcessCheckRunner(npmPreset()).';

/** The request as it crosses the port: parsed before anything runs. */
const CheckRunRequestSchema = z.object({
  run_id: z.string().min(1),
  assignment_id: z.string().min(1),
  check_type: RunCheckType,
  head_sha: z.string().min(1),
  worktree_path: z.string().min(1, "the check needs the assignment's worktree path"),
  fail_on_severity: z.enum(["low", "moderate", "high", "critical"]).optional(),
});

const CallTimeout = z.number().int().positive().optional();

/** Extra bytes kept before the output cap so a secret cut at the start of the tail is dropped, not shown. */
const MIN_REDACTION_MARGIN = 4096;

/** A line the runner adds to the output: never from the child, always marked. */
function note(text: string): string {
  return `[rungate] ${text}`;
}

function appendNote(output: string, line: string): string {
  if (output.length === 0) return line;
  return `${output}${output.endsWith("\n") ? "" : "\n"}${line}`;
}

/** What the end of a process means for a check (aborted is a port error, handled before). */
function statusOf(end: Exclude<ProcessEnd, { kind: "aborted" }>): {
  readonly status: CheckRunResult["status"];
  readonly note: string | null;
} {
  switch (end.kind) {
    case "exited":
      if (end.exit_code === 0) return { status: "passed", note: null };
      return {
        status: "failed",
        note:
          end.exit_code !== null
            ? `exited with code ${end.exit_code}`
            : `killed by signal ${end.signal ?? "?"}`,
      };
    case "timed_out":
      return { status: "failed", note: null };
    case "not_started":
      return { status: "error", note: null };
  }
}

/**
 * A {@link CheckRunner} that runs one configured command per check type as a child process (execa 9) in the
 * assignment's worktree.
 *
 * - Exit 0 → `passed`; any other exit (or death by a signal it was not sent by the runner) → `failed`; a
 *   time-out → `failed`, with the output so far and a `[rungate] timed out …` line (never `passed`, and the
 *   output is kept, which a port error would lose); a command that cannot start (not found, not executable,
 *   missing worktree) → `error`, with the reason. A type without a command → `skipped` (never satisfies a
 *   required check). An abort → the `cancelled` port error, once the process group is dead.
 * - The child runs in its own process group; on time-out or abort the whole group gets SIGTERM, then SIGKILL
 *   after `kill_grace_ms`, so grandchildren die too. Leftovers of a command that exited are killed as well.
 * - Output is stdout and stderr interleaved, streamed into a bounded tail: only the last `output_cap_bytes`
 *   (plus a small redaction margin) are ever held, whatever the command prints. Secrets are redacted before
 *   the output leaves the adapter: values of variables named like `*TOKEN*`, `*KEY*`, `*SECRET*`,
 *   `*PASSWORD*` (from the child's and the host's environment), well-known token shapes and
 *   `redact_patterns`.
 * - The child's environment is PATH, HOME, LANG, TMPDIR, CI, NODE_* and `env_allow` from the host, `env`, and
 *   `RUNGATE_CHECK_TYPE`, `RUNGATE_HEAD_SHA`, `RUNGATE_RUN_ID`, `RUNGATE_ASSIGNMENT_ID`; with the policy's
 *   severity threshold in the request, `RUNGATE_FAIL_ON_SEVERITY` and `npm_config_audit_level` too.
 * - At most `concurrency` checks run at once per runner; the time limit (the smaller of the configured one and
 *   the call's `timeout_ms`) starts when the check starts, not while it waits for a slot.
 *
 * Throws at construction when the options do not parse (with the reasons and an example).
 *
 * @example
 * const checks = createProcessCheckRunner({
 *   checks: { lint: { command: ["npm", "run", "lint"] }, unit: { command: ["npm", "test"], timeout_ms: 300_000 } },
 *   redact_patterns: ["acct-[0-9]{8}"],
 * });
 */
export function createProcessCheckRunner(config: ProcessCheckRunnerConfigInput): CheckRunner {
  const parsed = ProcessCheckRunnerConfig.safeParse(config);
  if (!parsed.success) {
    throw new Error(`createProcessCheckRunner: invalid options:\n${z.prettifyError(parsed.error)}\n${USAGE}`);
  }
  const options = parsed.data;
  const name = options.name;
  const patterns = compilePatterns([...BUILTIN_SECRET_PATTERNS, ...options.redact_patterns]);
  const slots = new Semaphore(options.concurrency);

  const runConfigured = async (
    request: CheckRunRequest,
    command: CheckCommandConfig,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Result<CheckRunResult, PortError>> => {
    const env = buildChildEnv(
      command.env_allow,
      {
        ...command.env,
        RUNGATE_CHECK_TYPE: request.check_type,
        RUNGATE_HEAD_SHA: request.head_sha,
        RUNGATE_RUN_ID: request.run_id,
        RUNGATE_ASSIGNMENT_ID: request.assignment_id,
        // The policy's severity threshold, for any tool; npm reads `npm_config_audit_level` as --audit-level.
        ...(request.fail_on_severity === undefined
          ? {}
          : {
              RUNGATE_FAIL_ON_SEVERITY: request.fail_on_severity,
              npm_config_audit_level: request.fail_on_severity,
            }),
      },
      process.env,
    );
    const redactor: Redactor = createRedactor(secretValues([env, process.env]), patterns);
    const cap = command.output_cap_bytes;
    const margin = Math.max(MIN_REDACTION_MARGIN, redactor.longest_secret_bytes + 16);

    const release = await slots.acquire(signal);
    if (release === null) return err(checkCancelled(request.check_type));
    const report = await runProcess({
      argv: command.command,
      cwd: request.worktree_path,
      env,
      shell: command.shell,
      ...(options.sandbox === undefined
        ? {}
        : { sandbox: options.sandbox, sandbox_paths: { writable: [], readable: [] } }),
      timeout_ms: timeoutMs,
      kill_grace_ms: options.kill_grace_ms,
      tail_bytes: cap + margin,
      ...(signal === undefined ? {} : { signal }),
    }).finally(release);

    const { end } = report;
    if (end.kind === "aborted") return err(checkCancelled(request.check_type));
    const duration_ms = Math.round(report.duration_ms);
    if (end.kind === "not_started") {
      const program = command.command[0] ?? "";
      const reason = `could not start \`${program}\`: ${describeStartFailure(end.code)} (${end.code}): ${end.reason}`;
      return ok({ status: "error", output: redactor.redact(note(reason)), duration_ms });
    }
    const { status, note: exitNote } = statusOf(end);
    let output = renderTail(report.tail, report.dropped, cap, redactor);
    if (end.kind === "timed_out") {
      output = appendNote(
        output,
        note(
          `timed out after ${timeoutMs} ms; its process group was killed (SIGTERM, then SIGKILL after ${options.kill_grace_ms} ms)`,
        ),
      );
    }
    if (exitNote !== null) output = appendNote(output, note(exitNote));
    return ok({ status, output, duration_ms });
  };

  const run = async (
    request: CheckRunRequest,
    call: CheckRunOptions,
  ): Promise<Result<CheckRunResult, PortError>> => {
    if (call.signal?.aborted) return err(checkCancelled(String(request?.check_type)));
    const input = parseInput(CheckRunRequestSchema, request, "invalid_check_request");
    if (input.isErr()) return err(input.error);
    const timeout = parseInput(CallTimeout, call.timeout_ms, "invalid_check_options");
    if (timeout.isErr()) return err(timeout.error);
    const req = input.value;
    const type = req.check_type;
    if (type === "policy") {
      return ok({
        status: "skipped",
        output: note(
          "`policy` is rungate's own check (the path rules on the real diff) and never runs as a command; skipped, which never satisfies a required check",
        ),
        duration_ms: 0,
      });
    }
    const command = options.checks[type];
    if (command === undefined) {
      return ok({
        status: "skipped",
        output: note(
          `check type "${type}" is not configured for ${name}; skipped, which never satisfies a required check`,
        ),
        duration_ms: 0,
      });
    }
    const isDirectory = await stat(req.worktree_path).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      return ok({
        status: "error",
        output: note(`the worktree ${req.worktree_path} does not exist or is not a directory`),
        duration_ms: 0,
      });
    }
    const timeoutMs = Math.min(command.timeout_ms, timeout.value ?? Number.POSITIVE_INFINITY);
    const prepareCommand = await resolvePrepare(options.prepare, options.cache_dir, req.worktree_path);
    if (prepareCommand === null) return runConfigured(req, command, timeoutMs, call.signal);
    const prepared = await runConfigured(req, prepareCommand, prepareCommand.timeout_ms, call.signal);
    if (prepared.isErr()) return prepared;
    const step = {
      command: prepareCommand.command.join(" "),
      status: prepared.value.status === "skipped" ? ("error" as const) : prepared.value.status,
      duration_ms: prepared.value.duration_ms,
    };
    const heading = note(`prepare: \`${step.command}\` ${step.status} in ${step.duration_ms} ms`);
    if (step.status !== "passed") {
      // The check never runs on a tree whose dependencies did not install: its result could mean anything.
      return ok({
        status: step.status,
        output: appendNote(prepared.value.output ?? "", heading),
        duration_ms: step.duration_ms,
        prepare: step,
      });
    }
    return (await runConfigured(req, command, timeoutMs, call.signal)).map((checked) => ({
      ...checked,
      output: appendNote(heading, checked.output ?? ""),
      duration_ms: checked.duration_ms + step.duration_ms,
      prepare: step,
    }));
  };

  // What the runner hands its checks that is secret (by variable name), for the orchestrator's redaction.
  const secret_values = secretValues(
    Object.values(options.checks).flatMap((c) =>
      c === undefined ? [] : [buildChildEnv(c.env_allow, c.env, process.env)],
    ),
  );
  return {
    name,
    secret_values,
    run(request, call = {}) {
      return ResultAsync.fromPromise(run(request, call), (cause) =>
        toCheckRunnerFailure(name, `check ${String(request?.check_type)}`, cause),
      ).andThen((result) => result);
    },
  };
}
