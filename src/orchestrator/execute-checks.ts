import { ok, okAsync, ResultAsync, safeTry } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { approvalGateReasons } from "../core/gates/approval-gate.js";
import { describeLockFileChanges } from "../core/policy/lock-file-judgement.js";
import { describeDependencyChanges } from "../core/policy/package-json-changes.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { RunCheckType } from "../core/schemas/check-type.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { RunCheck } from "../core/schemas/run-check.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { describeSecretFindings } from "../core/security/secret-scan.js";
import type { CheckPrepareStep, CheckRunResult } from "../ports/check-runner.js";
import type { CheckTreeState } from "../ports/git-port.js";
import { mapWithLimit } from "./bounded.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadCard, loadRunRecords, plannedChecksOf } from "./load.js";
import { observeHead } from "./observe-head.js";
import { commit, eventDraft, systemActor } from "./persist.js";
import { policyCheck } from "./policy-check.js";
import { publishCheckStatuses } from "./publish-statuses.js";
import { type ApprovalRequested, requestApproval } from "./request-approval.js";
import { scanDependencies } from "./scan-dependencies.js";
import { scanSecrets } from "./scan-secrets.js";
import { advanceRun, applyAssignmentEventStored } from "./transitions.js";

const FINAL = new Set<RunCheck["status"]>(["passed", "failed", "skipped", "error"]);

/** What executing the checks of an assignment led to. */
export type ChecksOutcome =
  | {
      readonly result: "awaiting_approval";
      readonly checks: readonly RunCheck[];
      readonly approval: ApprovalRequested;
    }
  | {
      readonly result: "checks_failed";
      readonly checks: readonly RunCheck[];
      readonly assignment: CardAssignment;
    }
  | {
      readonly result: "not_checking";
      readonly checks: readonly RunCheck[];
      readonly assignment: CardAssignment;
    };

/**
 * Runs every planned check (the required ones always among them) on the assignment's current head, at most
 * `check_concurrency` at once, and stores each result as it completes, bound to that head. A check that
 * already has a final result for this head is not run again, so a resumed run loses nothing and repeats
 * nothing. The `policy` check is rungate's own: the path rules on the real diff. A runner that fails is
 * recorded as `error`, which never passes. Then the gate decides: open → {@link requestApproval}; closed
 * → `checks_failed`, with the reasons in the event.
 */
export function executeChecks(
  deps: OrchestratorDeps,
  input: { readonly assignment_id: string },
  signal?: AbortSignal,
  /** Checks to run again although they have a final result for this head (a retry of flaky checks). */
  rerun: ReadonlySet<RunCheckType> = new Set(),
): ResultAsync<ChecksOutcome, RungateError> {
  return safeTry<ChecksOutcome, RungateError>(async function* () {
    const loaded = yield* loadCard(deps, input.assignment_id);
    const { run, policy } = loaded;
    const assignment = yield* observeHead(deps, run, loaded.assignment, signal);
    const head = assignment.head_sha;
    const mine = (all: readonly RunCheck[]) =>
      all.filter((c) => c.assignment_id === assignment.id && c.head_sha === head);
    if (assignment.phase !== "checking" || head === null) {
      return ok({
        result: "not_checking" as const,
        assignment,
        checks: mine(yield* loaded.checks()),
      });
    }
    const done = new Set(
      mine(yield* loaded.checks())
        .filter((c) => FINAL.has(c.status) && !rerun.has(c.check_type))
        .map((c) => c.check_type),
    );
    // The path rules always run as the `policy` check, required or not: what an agent or anyone else
    // committed after the agent finished is judged too.
    const planned = [...new Set<RunCheckType>([...plannedChecksOf(run, policy), "policy"])];
    const todo = planned.filter((t) => !done.has(t));
    // Tracked as the run's work, so that a person's cancel (here or in another process) stops the checks.
    const work = deps.work.begin(run.id, signal);
    const written = await mapWithLimit(todo, deps.options.check_concurrency, (type) =>
      runOne(deps, run, policy, assignment, head, type, work.signal).andThen(({ check, prepare }) =>
        commit(deps, {
          checks: [check],
          events: [
            // The install before the check is a step of its own: how long it took and how it ended.
            ...(prepare === null
              ? []
              : [
                  eventDraft(deps, run, "check.prepared", systemActor(deps), {
                    assignment_id: assignment.id,
                    check_type: check.check_type,
                    head_sha: head,
                    command: prepare.command,
                    status: prepare.status,
                    duration_ms: prepare.duration_ms,
                  }),
                ]),
            eventDraft(deps, run, "check.completed", systemActor(deps), {
              assignment_id: assignment.id,
              check_id: check.id,
              check_type: check.check_type,
              status: check.status,
              head_sha: head,
              duration_ms: check.duration_ms,
            }),
          ],
        }).map(() => check),
      ),
    );
    work.end();
    for (const w of written) if (w.isErr()) yield* w;
    // Read again, in one read where the store allows it: the checks took their time, and the gate decides
    // from what is stored now.
    const after = yield* loadRunRecords(deps, run.id);
    const checks = yield* after.checks();
    // A card with a PR on the host has its branch there: the new results are mirrored on the head (a person
    // pushed to the PR, rungate checked again). Before the first PR the head is not on the host yet.
    const drafted = (yield* after.pull_requests()).some((p) => p.assignment_id === assignment.id);
    if (drafted) yield* publishCheckStatuses(deps, run, assignment, head, checks);
    const policyCheck = mine(checks).findLast((c) => c.check_type === "policy");
    const reasons = [
      ...approvalGateReasons(assignment, checks, policy),
      ...(policyCheck?.status === "passed" || policy.required_checks.includes("policy")
        ? []
        : [
            {
              code: "changes_violate_path_rules" as const,
              subject: "policy",
              message: "the changes break the path rules",
            },
          ]),
    ];
    if (reasons.length === 0) {
      // Handed what was just read, when it was read at once: the card as stored now, with its run's records.
      const current = after.state?.assignments.find((a) => a.id === assignment.id);
      const approval = yield* requestApproval(
        deps,
        { assignment_id: assignment.id },
        current === undefined ? undefined : { ...after, assignment: current },
      );
      return ok({ result: "awaiting_approval" as const, checks: mine(checks), approval });
    }
    const failed = yield* applyAssignmentEventStored(
      deps,
      run,
      assignment,
      { type: "checks_failed" },
      systemActor(deps),
      {
        events: [
          eventDraft(deps, run, "approval.gate_closed", systemActor(deps), {
            assignment_id: assignment.id,
            head_sha: head,
            reasons: reasons.map((r) => ({ code: r.code, subject: r.subject, message: r.message })),
          }),
        ],
      },
      after.state,
    );
    if (!failed.advanced) yield* advanceRun(deps, run.id, systemActor(deps));
    return ok({ result: "checks_failed" as const, assignment: failed.assignment, checks: mine(checks) });
  });
}

/**
 * Runs one check of the runner in a tree rungate checked out fresh for it at exactly `head` (never the
 * agent's worktree, which may hold anything), then looks at that tree again: a check that moved HEAD or
 * changed tracked files did not leave the code it judged as it found it, so its result cannot pass
 * (`failed`, saying what changed). The tree is removed afterwards.
 */
function runInCheckTree(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  head: string,
  type: RunCheckType,
  signal: AbortSignal | undefined,
  policy: Pick<SystemPolicyProfile, "security_policy">,
): ResultAsync<CheckRunResult, RungateError> {
  const opts = signal === undefined ? {} : { signal };
  const clone_path = run.worktree_root ?? "";
  return deps.git
    .prepareCheckTree({ clone_path, tree_name: `${assignment.id}-${type}`, head_sha: head }, opts)
    .andThen(({ tree_path }) => {
      const ran = deps.checks
        .run(
          {
            run_id: run.id,
            assignment_id: assignment.id,
            check_type: type,
            head_sha: head,
            worktree_path: tree_path,
            fail_on_severity: policy.security_policy.fail_on_severity,
          },
          {
            ...opts,
            ...(deps.options.check_timeout_ms === undefined
              ? {}
              : { timeout_ms: deps.options.check_timeout_ms }),
          },
        )
        .andThen((result) =>
          deps.git
            .inspectCheckTree({ clone_path, tree_path, head_sha: head }, opts)
            .map((state): CheckRunResult => {
              const tampered = treeChanges(state, head);
              if (tampered === null) return result;
              const output = [result.output, `rungate: ${tampered}`].filter((o) => o !== null).join("\n");
              return { ...result, status: result.status === "passed" ? "failed" : result.status, output };
            }),
        );
      // The tree goes whatever happened; a failed removal is left for the next prepare, which replaces it.
      return new ResultAsync(
        (async () => {
          const outcome = await ran;
          await deps.git.removeCheckTree({ clone_path, tree_path });
          return outcome;
        })(),
      );
    });
}

/** What a check changed in its tree, in one sentence, or `null` when it left it as checked out. */
function treeChanges(state: CheckTreeState, head: string): string | null {
  const problems: string[] = [];
  if (state.head_sha !== head) {
    problems.push(
      `HEAD moved from ${head.slice(0, 12)} to ${state.head_sha?.slice(0, 12) ?? "something else"}`,
    );
  }
  if (state.changed_paths.length > 0) {
    problems.push(`${state.changed_paths.length} tracked path(s) changed: ${state.changed_paths.join(", ")}`);
  }
  return problems.length === 0 ? null : `the check changed the tree it ran in: ${problems.join("; ")}`;
}

/**
 * The `dependency` check: rungate's own reading of the card's `package.json` changes first (a blocked
 * package, a new dependency the policy does not allow, a manifest no package manager can read fail it at
 * once); otherwise the runner's `dependency` command decides, its output after the list of changes.
 */
function dependencyCheck(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  assignment: CardAssignment,
  policy: SystemPolicyProfile,
  head: string,
  signal: AbortSignal | undefined,
  elapsed: () => number,
): ResultAsync<CheckRunResult, RungateError> {
  return scanDependencies(deps, run, assignment, policy, head, signal).andThen((scan) => {
    const listed = [
      describeDependencyChanges(scan.changes, scan.findings),
      describeLockFileChanges(scan.lock_changes, scan.lock_findings),
      ...scan.unreadable.map(
        (path) => `${path}: not readable as a manifest or lock file by its package manager`,
      ),
    ]
      .filter((line) => line !== "")
      .join("\n");
    if (scan.findings.length > 0 || scan.lock_findings.length > 0 || scan.unreadable.length > 0) {
      return okAsync<CheckRunResult, RungateError>({
        status: "failed",
        output: listed,
        duration_ms: elapsed(),
      });
    }
    return runInCheckTree(deps, run, assignment, head, "dependency", signal, policy).map((result) =>
      listed === ""
        ? result
        : { ...result, output: [listed, result.output].filter((o) => o !== null).join("\n") },
    );
  });
}

/** Runs one check and shapes its result as a stored {@link RunCheck}. */
function runOne(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  policy: SystemPolicyProfile,
  assignment: CardAssignment,
  head: string,
  type: RunCheckType,
  signal: AbortSignal | undefined,
): ResultAsync<{ readonly check: RunCheck; readonly prepare: CheckPrepareStep | null }, RungateError> {
  const started = Date.parse(deps.clock.now());
  const elapsed = () => Math.max(0, Date.parse(deps.clock.now()) - started);
  const result: ResultAsync<CheckRunResult, RungateError> =
    type === "policy"
      ? policyCheck(deps, run, assignment, policy, head, signal, elapsed)
      : type === "security" && policy.security_policy.block_secrets
        ? // Secrets first, in rungate's own process: a leak fails the check whatever the runner would say.
          scanSecrets(deps, run, assignment, policy, head, signal).andThen((findings) =>
            findings.length > 0
              ? okAsync<CheckRunResult, RungateError>({
                  status: "failed",
                  output: describeSecretFindings(findings),
                  duration_ms: elapsed(),
                })
              : runInCheckTree(deps, run, assignment, head, type, signal, policy),
          )
        : type === "dependency"
          ? dependencyCheck(deps, run, assignment, policy, head, signal, elapsed)
          : runInCheckTree(deps, run, assignment, head, type, signal, policy);
  return result
    .orElse((error) =>
      // An aborted run stops; any other runner failure is a result that can never pass.
      error.kind === "cancelled"
        ? result
        : ok<CheckRunResult, RungateError>({ status: "error", output: error.message, duration_ms: 0 }),
    )
    .map((r) => ({
      check: {
        id: deps.ids.next(),
        run_id: run.id,
        assignment_id: assignment.id,
        check_type: type,
        status: r.status,
        output: r.output,
        executed_at: deps.clock.now(),
        head_sha: head,
        duration_ms: r.duration_ms,
      },
      prepare: r.prepare ?? null,
    }));
}
