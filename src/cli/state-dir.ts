import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createLocalPullRequestHost } from "../adapters/local-pr-host/index.js";
import { createPgliteStorage, type PostgresStorage } from "../adapters/postgres/index.js";
import { createSimpleGitAdapter } from "../adapters/simple-git/index.js";
import {
  type AgentDispatcher,
  type CheckRunner,
  createRandomIds,
  createSystemClock,
  errAsync,
  fromPromise,
  okAsync,
  ResultAsync,
  type RungatePorts,
} from "../index.js";
import { type CliError, failure, rungateFailure, usageError } from "./cli-error.js";
import { idleCheckRunner, idleDispatcher } from "./idle-ports.js";
import { acquireStoreLock, type StoreLock } from "./store-lock.js";

/** Where each part of a state directory lives (see docs/cli.md, "The .rungate directory"). */
export interface StatePaths {
  /** The state directory itself (absolute). */
  readonly root: string;
  /** The embedded PGlite store. */
  readonly store: string;
  /** Bare clones and the cards' worktrees (`rungate/git`'s root). */
  readonly repos: string;
  /** The local PR host's records, one `<n>.json` per draft PR. */
  readonly pull_requests: string;
  /** The agent dispatcher's once-per-execution markers. */
  readonly executions: string;
  /** The project file: project id, repository, last policy. */
  readonly project: string;
  /** Held while a command has the store open. */
  readonly lock: string;
}

/** The paths of the state directory `root` (resolved against the current directory). */
export function statePaths(root: string): StatePaths {
  const dir = resolve(root);
  return {
    root: dir,
    store: join(dir, "store"),
    repos: join(dir, "repos"),
    pull_requests: join(dir, "pull-requests"),
    executions: join(dir, "executions"),
    project: join(dir, "project.json"),
    lock: join(dir, "lock"),
  };
}

/** An open state directory: its store, locked for this process until `close`. */
export interface OpenState {
  readonly paths: StatePaths;
  readonly storage: PostgresStorage;
  /** Closes the store and releases the lock. */
  close(): Promise<void>;
}

/** What {@link openStateDir} does. */
export interface OpenStateOptions {
  /** Make the directory when it does not exist (`rungate run`); otherwise a missing one is a usage error. */
  readonly create: boolean;
  /** The command opening it, named to another command that finds it locked. */
  readonly command: string;
}

/**
 * Opens the state directory at `root`: makes it (with a `.gitignore` so git ignores it when it sits inside a
 * repository) when asked, takes its lock, opens the PGlite store under `store/` (migrating it). A missing
 * directory for a command that only reads is a usage error; a lock held by a live process is a failure.
 */
export function openStateDir(root: string, options: OpenStateOptions): ResultAsync<OpenState, CliError> {
  const paths = statePaths(root);
  if (!options.create && !existsSync(paths.store)) {
    return errAsync(
      usageError(
        `no rungate state in ${paths.root}: start with \`rungate run\`, or point --state-dir at an existing one`,
      ),
    );
  }
  const made: ResultAsync<void, CliError> = options.create
    ? fromPromise(
        mkdir(paths.root, { recursive: true }).then(() =>
          writeFile(join(paths.root, ".gitignore"), "*\n", { flag: "w" }),
        ),
        (cause) => failure(`cannot make the state directory ${paths.root}: ${(cause as Error).message}`),
      )
    : okAsync(undefined);
  return made
    .andThen(() => acquireStoreLock(paths.lock, options.command))
    .andThen((lock) =>
      createPgliteStorage({ dataDir: paths.store })
        .mapErr(rungateFailure)
        .map((storage): OpenState => ({ paths, storage, close: () => closeState(storage, lock) }))
        .orElse((error) => fromPromise(lock.release(), () => error).andThen(() => errAsync(error))),
    );
}

async function closeState(storage: PostgresStorage, lock: StoreLock): Promise<void> {
  // A failed close leaves nothing to do for a person: PGlite's files are written as it goes.
  await storage.close();
  await lock.release();
}

/** The agent side of the ports: what `rungate run` starts; the idle pair for every other command. */
export interface AgentPorts {
  readonly dispatcher: AgentDispatcher;
  readonly checks: CheckRunner;
}

/**
 * The orchestrator's ports over an open state directory: `rungate/git` under `repos/`, the store, the local PR
 * host under `pull-requests/`, the system clock and random ids, and `agent` (by default the idle pair, which
 * refuses to start anything).
 */
export function portsOf(
  state: OpenState,
  agent: AgentPorts = { dispatcher: idleDispatcher, checks: idleCheckRunner },
): RungatePorts {
  return {
    git: createSimpleGitAdapter({ root: state.paths.repos }),
    storage: state.storage,
    dispatcher: agent.dispatcher,
    checks: agent.checks,
    pullRequests: createLocalPullRequestHost({ dir: state.paths.pull_requests }),
    clock: createSystemClock(),
    ids: createRandomIds(),
  };
}

/** Opens the state directory, hands it to `use`, and closes it (lock released) however `use` ends. */
export function withStateDir<T>(
  root: string,
  options: OpenStateOptions,
  use: (state: OpenState) => ResultAsync<T, CliError>,
): ResultAsync<T, CliError> {
  return openStateDir(root, options).andThen(
    (state) => new ResultAsync(Promise.resolve(use(state)).finally(() => state.close())),
  );
}
