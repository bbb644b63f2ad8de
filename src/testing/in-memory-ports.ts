import { DEFAULT_LOG_LIMIT } from "../internal/bounded/bounded-log.js";
import type { RungatePorts } from "../ports/ports.js";
import { type CollectingEventSink, createCollectingEventSink } from "./fakes/collecting-event-sink.js";
import { createInMemoryGit, type InMemoryGit } from "./fakes/in-memory-git.js";
import {
  createInMemoryPullRequestHost,
  type InMemoryPullRequestHost,
} from "./fakes/in-memory-pull-request-host.js";
import { createInMemoryStorage, type InMemoryStorage } from "./fakes/in-memory-storage.js";
import { type AgentScript, createScriptedAgent, type ScriptedAgent } from "./fakes/scripted-agent.js";
import {
  type CheckRunnerScript,
  createScriptedCheckRunner,
  type ScriptedCheckRunner,
} from "./fakes/scripted-check-runner.js";
import { createSequentialIds, type SequentialIds } from "./fakes/sequential-ids.js";
import { createSimulatedClock, type SimulatedClock } from "./fakes/simulated-clock.js";

/** Options of {@link createInMemoryPorts}. */
export interface InMemoryPortsOptions {
  /** Where the simulated clock starts (default `2026-01-01T00:00:00.000Z`). */
  readonly start?: string;
  /** What the scripted agent does per card (default: one small commit inside the card's allowed paths). */
  readonly agent?: AgentScript;
  /** What the scripted checks answer per type (default: every check passes). */
  readonly checks?: CheckRunnerScript;
  /**
   * Remote repositories to create, URL → files on `main` (default: the URL `runInputFixture` uses, with a
   * README and a `src/` file).
   */
  readonly remotes?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * How many entries each fake's call log keeps, the newest (`operations`, `dispatches`, `runs`, `requests`,
   * …; default 10,000), so one set of ports shared by a long suite holds bounded memory.
   */
  readonly log_limit?: number;
  /**
   * How many ended runs the store keeps, the newest (default `DEFAULT_RETAIN_ENDED_RUNS`, 1,000; `Infinity`
   * keeps all), and how many decided PRs the PR host keeps once read (the same number). A run forgotten by the
   * store is forgotten by the git fake too (its worktrees and the branches no kept run uses), so one set of
   * ports shared by a long suite holds bounded memory.
   */
  readonly retain_ended_runs?: number;
}

/** A full set of in-memory ports, each with its test-facing helpers in reach. */
export interface InMemoryPorts extends RungatePorts {
  readonly git: InMemoryGit;
  readonly storage: InMemoryStorage;
  readonly dispatcher: ScriptedAgent;
  readonly checks: ScriptedCheckRunner;
  readonly pullRequests: InMemoryPullRequestHost;
  readonly clock: SimulatedClock;
  readonly ids: SequentialIds;
  readonly eventSink: CollectingEventSink;
}

/** The remote `runInputFixture` points at. */
export const FIXTURE_REPO_URL = "https://example.invalid/acme/shop.git";

/**
 * Every port rungate needs, in memory and deterministic (simulated clock, sequential ids): pass it to
 * `createOrchestrator` and a whole run lifecycle takes milliseconds. The git fake keeps real files per
 * branch, the storage fake enforces versions and idempotency keys as the Postgres adapter does, the agent
 * writes what you script (forbidden files included), the checks answer what you script. The store decides
 * leases by the same simulated clock, so `clock.advance` expires them.
 */
export function createInMemoryPorts(options: InMemoryPortsOptions = {}): InMemoryPorts {
  const clock = createSimulatedClock(options.start);
  const log_limit = options.log_limit ?? DEFAULT_LOG_LIMIT;
  const git = createInMemoryGit({ now: () => clock.now(), log_limit });
  const remotes = options.remotes ?? {
    [FIXTURE_REPO_URL]: { "README.md": "# shop\n", "src/index.ts": "export const shop = true;\n" },
  };
  for (const [url, files] of Object.entries(remotes)) git.createRemote(url, { ...files });
  return {
    git,
    // The store's clock is the simulated one, so advancing it expires leases (a database has its own `now()`).
    storage: createInMemoryStorage({
      clock,
      log_limit,
      ...(options.retain_ended_runs === undefined ? {} : { retain_ended_runs: options.retain_ended_runs }),
      // The git fake cannot tell a finished card's worktree from a live one: the store tells it.
      onForget: (run) => git.forget(run),
    }),
    dispatcher: createScriptedAgent(git, options.agent ?? {}, { log_limit }),
    checks: createScriptedCheckRunner(options.checks ?? {}, { log_limit }),
    pullRequests: createInMemoryPullRequestHost({
      log_limit,
      ...(options.retain_ended_runs === undefined
        ? {}
        : { retain_decided_pull_requests: options.retain_ended_runs }),
    }),
    clock,
    ids: createSequentialIds(),
    eventSink: createCollectingEventSink(),
  };
}
