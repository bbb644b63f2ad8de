import type { AgentDispatcher } from "./agent-dispatcher.js";
import type { CheckRunner } from "./check-runner.js";
import type { Clock } from "./clock.js";
import type { EventSink } from "./event-sink.js";
import type { GitPort } from "./git-port.js";
import type { IdGenerator } from "./id-generator.js";
import type { PullRequestHost } from "./pull-request-host.js";
import type { StoragePort } from "./storage-port.js";

/** The full set of ports an orchestrator runs on: real adapters, fakes, or a mix. */
export interface RungatePorts {
  readonly git: GitPort;
  readonly storage: StoragePort;
  readonly dispatcher: AgentDispatcher;
  readonly checks: CheckRunner;
  readonly pullRequests: PullRequestHost;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Optional: where events go besides `orchestrator.events()`. */
  readonly eventSink?: EventSink;
}
