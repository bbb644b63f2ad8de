// ports.ts
import { hostname } from "node:os";
import pg from "pg";
import { createRandomIds, createSystemClock, type RungatePorts } from "rungate";
import { createProcessCheckRunner, npmPreset } from "rungate/checks";
import { createCommandDispatcher } from "rungate/dispatch";
import { createSimpleGitAdapter } from "rungate/git";
import { createGitHubPullRequestHost } from "rungate/github";
import { createPostgresStorage, type PostgresStorage } from "rungate/postgres";

/** How long a claim holds before another worker may take the card over. */
export const LEASE_MS = 60_000;
/** This machine, as the dispatcher's execution markers know it. */
export const MACHINE_ID = hostname();

export async function openPorts(): Promise<{ ports: RungatePorts; storage: PostgresStorage; pool: pg.Pool }> {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    // A process frozen inside a transaction holds its card's row lock; Postgres ends such a session after this.
    idle_in_transaction_session_timeout: LEASE_MS + 10_000,
  });
  const opened = await createPostgresStorage({ pool, schema: "rungate" });
  if (opened.isErr()) throw new Error(opened.error.message);
  const storage = opened.value;
  const ports: RungatePorts = {
    git: createSimpleGitAdapter({
      root: "/srv/rungate/repos",
      credentials: { token: process.env.GIT_TOKEN ?? "" },
    }),
    storage,
    dispatcher: createCommandDispatcher({
      command: ["my-agent", "--task", "{task}"],
      state_dir: "/srv/rungate/executions",
    }),
    checks: createProcessCheckRunner(npmPreset()),
    pullRequests: createGitHubPullRequestHost({
      owner: "acme",
      repo: "shop",
      token: process.env.GITHUB_TOKEN ?? "",
    }),
    clock: createSystemClock(),
    ids: createRandomIds(),
  };
  return { ports, storage, pool };
}
