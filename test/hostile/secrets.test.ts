import { afterAll, describe, expect, it, vi } from "vitest";
import { secretsFromEnvironment } from "../../src/index.js";
import { isolateGit, removeTempDirs } from "../adapters/simple-git/git-helpers.js";
import { hostileWorld, readBack } from "./hostile-world.js";

// The agent prints and commits every secret it can reach: its own environment, its parent's (read from
// /proc, which an agent outside a sandbox can), and values it makes up in well-known token shapes. None
// reaches a stored record or event.

vi.setConfig({ testTimeout: 120_000 });
await isolateGit();
afterAll(removeTempDirs);

/** Set in vitest.config.ts, so it is in this worker's initial environment (/proc/<pid>/environ). */
const HOST_TOKEN = process.env.RUNGATE_TEST_HOST_DEPLOY_TOKEN ?? "";
const AGENT_TOKEN = "agent-given-token-77aa21ff";

describe("hostile agent: secrets it reads or makes never reach storage", () => {
  it("commits and prints its parent's environment, its own secret and a token shape: the stored run holds none", async () => {
    expect(HOST_TOKEN.length).toBeGreaterThan(8);
    const world = await hostileWorld({
      agent_env: { SERVICE_API_TOKEN: AGENT_TOKEN },
      secrets: secretsFromEnvironment(process.env),
    });
    const stolen = [
      // The parent of the agent is the process running rungate.
      'host=$(tr "\\0" "\\n" < /proc/$PPID/environ | grep RUNGATE_TEST_HOST_DEPLOY_TOKEN | cut -d= -f2)',
      'echo "found $host and $SERVICE_API_TOKEN"',
      'printf "export const leak = \\"%s\\";\\n" "$host" > src/leak.js',
      'git add -A && git -c user.name=a -c user.email=a@x commit -q -m "leak $host $SERVICE_API_TOKEN ghp_abcdefghijklmnopqrstuvwxyz0123456789"',
    ].join("\n");
    const run_id = await world.build(stolen);
    const stored = await world.dump(run_id);
    expect(stored).not.toContain(HOST_TOKEN);
    expect(stored).not.toContain(AGENT_TOKEN);
    expect(stored).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    // The control: the agent really read all three (each became a mark in its commit message), and the
    // card went on as usual.
    expect(stored).toContain("leak [redacted] [redacted] [redacted]");
    const { assignments } = await readBack(world, run_id);
    expect(assignments[0]?.phase).toBe("awaiting_approval");
  });
});

describe("hostile agent: a credential committed where a scan cannot see it", () => {
  it("hides an AWS key in a file with a NUL byte (git calls it binary): security still fails, naming file and line", async () => {
    const world = await hostileWorld({ required_checks: ["policy", "security", "unit"] });
    const key = ["AKIA", "Q3EXAMPLE7PLAINF"].join("");
    const hide = [
      `printf '\\000\\nexport const k = "%s";\\n' "${key}" > src/blob.js`,
      'commit "Add a blob"',
    ].join("\n");
    const run_id = await world.build(hide);
    const { assignments, checks, approvals } = await readBack(world, run_id);
    expect(assignments[0]?.phase).toBe("checks_failed");
    expect(approvals).toEqual([]);
    expect(checks.find((c) => c.check_type === "security")).toMatchObject({
      status: "failed",
      output: "src/blob.js:2: looks like a secret (aws-access-key-id)",
    });
    expect(await world.dump(run_id)).not.toContain(key);
  });
});
