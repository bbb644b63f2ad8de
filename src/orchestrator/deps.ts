import type { SecretRedactor } from "../core/redaction/secret-redactor.js";
import type { DispatchClaim } from "../core/schemas/agent-execution.js";
import type { RungatePorts } from "../ports/ports.js";
import type { CardRuns } from "./card-runs.js";
import type { EventHub } from "./event-hub.js";
import type { RunWakeups } from "./run-wakeups.js";
import type { RunWork } from "./run-work.js";

/** Tunables of an orchestrator. */
export interface OrchestratorOptions {
  /** How many cards are dispatched and checked at once (default 4). */
  readonly concurrency: number;
  /** How many checks of one card run at once (default 4). */
  readonly check_concurrency: number;
  /** Time an agent gets per dispatch (default: the dispatcher's own). */
  readonly dispatch_timeout_ms?: number;
  /** Time a check gets (default: the runner's own). */
  readonly check_timeout_ms?: number;
  /** The id rungate acts under in events (`system:<id>`), default `rungate`. */
  readonly system_actor: string;
  /**
   * The machine this orchestrator's dispatcher runs agents on (see `AgentExecution.dispatched_on`); absent:
   * one machine, every execution is this one's.
   */
  readonly machine_id?: string;
  /**
   * The claim new executions are recorded under (`AgentExecution.dispatch_claim`): a worker sets its card's
   * lease token and its process per card. An open execution recorded under another lease token was
   * dispatched by an owner whose lease passed, and is handed to the dispatcher as a `takeover`. Absent: no
   * lease covers the dispatch, and the dispatcher judges owners by its markers alone.
   */
  readonly dispatch_claim?: DispatchClaim;
  /** At most one `agent.progress` event per this many ms per attempt (0: every line); `null` records none. */
  readonly progress_interval_ms: number | null;
  /** URL template of published commit statuses (`{run_id}`, `{assignment_id}`, `{check_type}`), or `null`. */
  readonly status_target_url: string | null;
}

/** Everything a use case needs: the ports, the options, and the in-process event hub. */
export interface OrchestratorDeps extends RungatePorts {
  readonly options: OrchestratorOptions;
  readonly hub: EventHub;
  /** The one redaction boundary: every write and every error passes it. */
  readonly redactor: SecretRedactor;
  /** The agents and checks this process runs, per run, so that a cancel (here or elsewhere) stops them. */
  readonly work: RunWork;
  /** Wake-ups when the store says a run changed (see {@link RunWakeups}); nothing wakes on a store without. */
  readonly wakeups: RunWakeups;
  /** The runs of the cards this process has seen (absent: every card is read first to learn its run). */
  readonly card_runs?: CardRuns;
}
