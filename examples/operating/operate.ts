/**
 * How a host app operates runs that last for days: the functions below are what an app's back office,
 * a shutdown hook and a nightly job call. Each takes an {@link Orchestrator} built on whatever ports the app
 * uses (real adapters in production; `examples/operating/operating.test.ts` runs every one of them on the
 * in-memory ports). Guide: `docs/operating.md`.
 */
import type { ResultAsync } from "neverthrow";
import type {
  BuildOutcome,
  OrchestrationRun,
  Orchestrator,
  PruneReport,
  RungateError,
  TypedRunEvent,
} from "rungate";

/**
 * Every run of a project still in `phase` (say, `preparing` or `agents_running`) that was created before
 * `before`: what a back office lists as "stuck". Walks every page, newest first.
 */
export async function stuckRuns(
  orchestrator: Orchestrator,
  project_id: string,
  phase: OrchestrationRun["phase"],
  before: string,
): Promise<OrchestrationRun[]> {
  const found: OrchestrationRun[] = [];
  let cursor: string | null = null;
  do {
    const page = await orchestrator.listRuns({
      project_id,
      phases: [phase],
      created_before: before,
      limit: 50,
      cursor,
    });
    if (page.isErr()) throw new Error(`listing runs failed: ${page.error.message}`);
    found.push(...page.value.runs);
    cursor = page.value.next_cursor;
  } while (cursor !== null);
  return found;
}

/**
 * One line per stored event of a run, from `after` (the last sequence the app has shown; 0 for all) until the
 * run is finished. The log is read from storage, so this works in any process sharing the store, and after
 * a restart the app resumes from the sequence it saved.
 */
export async function followRun(
  orchestrator: Orchestrator,
  run_id: string,
  after: number,
  print: (line: string) => void,
): Promise<number> {
  let last = after;
  for await (const event of orchestrator.events({ run_id, after })) {
    print(`#${event.sequence} ${describe(event)}`);
    last = event.sequence;
  }
  return last;
}

/** A short, typed description: switching on `event_type` narrows the payload. */
function describe(event: TypedRunEvent): string {
  switch (event.event_type) {
    case "run.transitioned":
    case "assignment.transitioned": {
      const failure = event.payload.failure ? ` (${event.payload.failure.kind})` : "";
      return `${event.event_type.split(".")[0]} ${event.payload.from} → ${event.payload.to}${failure}`;
    }
    case "check.completed":
      return `check ${event.payload.check_type} ${event.payload.status}`;
    case "agent.progress":
      return `agent says ${event.payload.message}`;
    default:
      return event.event_type;
  }
}

/**
 * A host shutting down (SIGTERM): abort the signal the app passed to `triggerBuild` / `resumeRun`. The agents
 * stop, each attempt is recorded `interrupted`, and the run stays resumable. After the restart, `resumeRun`
 * starts a new attempt of each interrupted card.
 */
export function resumeAfterRestart(
  orchestrator: Orchestrator,
  run_id: string,
): ResultAsync<BuildOutcome, RungateError> {
  return orchestrator.resumeRun(run_id);
}

/**
 * What a "retry" button does on a card whose checks failed: a flaky check (the same head may pass) is run
 * again without a new agent run; a real failure gives the agent a new attempt, with the failing checks'
 * output and the reviewer's words in its task.
 */
export async function retryCard(
  orchestrator: Orchestrator,
  assignment_id: string,
  person: string,
  how: { readonly flaky: true } | { readonly flaky: false; readonly feedback: string },
): Promise<string> {
  if (how.flaky) {
    const retried = await orchestrator.retryChecks({ assignment_id, requested_by: person });
    return retried.match(
      (outcome) => outcome.result,
      (error) => `refused: ${error.message}`,
    );
  }
  const again = await orchestrator.redispatch({
    assignment_id,
    requested_by: person,
    feedback: how.feedback,
  });
  return again.match(
    (changes) => changes.assignment.phase,
    (error) => `refused: ${error.message}`,
  );
}

/**
 * The nightly job: frees the worktrees and local branches of every finished run of a project (branches whose
 * draft PR is still open are kept), and reclaims workspaces and branches no stored run owns.
 */
export function nightlyCleanup(
  orchestrator: Orchestrator,
  project_id: string,
): ResultAsync<PruneReport, RungateError> {
  return orchestrator.pruneWorktrees({ project_id });
}
