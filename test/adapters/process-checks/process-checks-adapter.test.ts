import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProcessCheckRunner,
  NPM_PRESET_COMMANDS,
  npmPreset,
} from "../../../src/adapters/process-checks/index.js";
import { createRedactor, renderTail } from "../../../src/internal/child-process/redact.js";
import type { CheckRunRequest } from "../../../src/ports/check-runner.js";
import { describeCheckRunnerContract } from "../../../src/testing/contracts/check-runner.js";
import { fixtureId } from "../../../src/testing/fixtures.js";
import {
  eventually,
  HANG_SCRIPT,
  isGone,
  readPids,
  removeTempDirs,
  script,
  tempDir,
} from "./process-helpers.js";

// Everything here runs real child processes (node scripts written to temp directories); no network.

const NODE = process.execPath;
const HEAD = "a".repeat(40);

function request(worktree_path: string, check_type: CheckRunRequest["check_type"] = "unit"): CheckRunRequest {
  return { run_id: fixtureId(1), assignment_id: fixtureId(2), check_type, head_sha: HEAD, worktree_path };
}

let scripts: string;
let worktree: string;
beforeAll(async () => {
  scripts = await tempDir("rungate-check-scripts-");
  worktree = await tempDir("rungate-worktree-");
});
afterAll(removeTempDirs);

describeCheckRunnerContract({
  name: "process-check-runner",
  make: async () => {
    const dir = await tempDir("rungate-contract-");
    return {
      runner: createProcessCheckRunner({
        checks: {
          unit: { command: [NODE, "-e", "console.log('all green')"] },
          lint: { command: [NODE, "-e", "console.error('2 problems'); process.exit(1)"] },
        },
      }),
      passing: async () => request(dir, "unit"),
      failing: async () => request(dir, "lint"),
    };
  },
});

describe("process check runner: outcomes", () => {
  it("passes a command that exits 0, run in the worktree, with its output and a whole-number duration", async () => {
    const runner = createProcessCheckRunner({
      checks: { unit: { command: [NODE, "-e", "console.log('cwd=' + process.cwd())"] } },
    });
    const result = (await runner.run(request(worktree)))._unsafeUnwrap();
    expect(result.status).toBe("passed");
    expect(result.output).toContain(`cwd=${realpathSync(worktree)}`);
    expect(Number.isInteger(result.duration_ms)).toBe(true);
    expect(result.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("fails a command that exits non-zero, keeps stdout and stderr interleaved and notes the exit code", async () => {
    const runner = createProcessCheckRunner({
      checks: {
        lint: {
          command: [NODE, "-e", "console.log('checking'); console.error('src/a.ts: bad'); process.exit(3)"],
        },
      },
    });
    const result = (await runner.run(request(worktree, "lint")))._unsafeUnwrap();
    expect(result.status).toBe("failed");
    expect(result.output).toContain("checking");
    expect(result.output).toContain("src/a.ts: bad");
    expect(result.output).toContain("[rungate] exited with code 3");
  });

  it("answers error, not failed, when the program cannot be found", async () => {
    const runner = createProcessCheckRunner({
      checks: { unit: { command: ["rungate-no-such-program-4d1f", "--run"] } },
    });
    const result = (await runner.run(request(worktree)))._unsafeUnwrap();
    expect(result.status).toBe("error");
    expect(result.output).toContain(
      "could not start `rungate-no-such-program-4d1f`: command not found (ENOENT)",
    );
  });

  it("answers error when the worktree does not exist", async () => {
    const runner = createProcessCheckRunner({ checks: { unit: { command: [NODE, "-e", "0"] } } });
    const result = (await runner.run(request(join(worktree, "missing"))))._unsafeUnwrap();
    expect(result.status).toBe("error");
    expect(result.output).toContain("does not exist");
  });

  it("answers skipped, saying so, for a check type without a command (and for policy)", async () => {
    const runner = createProcessCheckRunner({ checks: { unit: { command: [NODE, "-e", "0"] } } });
    const e2e = (await runner.run(request(worktree, "e2e")))._unsafeUnwrap();
    expect(e2e.status).toBe("skipped");
    expect(e2e.output).toContain('check type "e2e" is not configured');
    expect(e2e.output).toContain("never satisfies a required check");
    const policy = (await runner.run(request(worktree, "policy")))._unsafeUnwrap();
    expect(policy.status).toBe("skipped");
  });

  it("refuses a malformed request with a validation error instead of running anything", async () => {
    const runner = createProcessCheckRunner({ checks: { unit: { command: [NODE, "-e", "0"] } } });
    const result = await runner.run({ ...request(worktree), worktree_path: "" });
    expect(result._unsafeUnwrapErr().kind).toBe("validation");
  });
});

describe("process check runner: configuration", () => {
  it("refuses `policy` as a configured check, naming why", () => {
    expect(() =>
      createProcessCheckRunner({
        checks: { policy: { command: ["true"] } } as never,
      }),
    ).toThrow(/policy.*rungate's own check/);
  });

  it("refuses an invalid redact pattern and an empty command at construction, showing correct usage", () => {
    expect(() =>
      createProcessCheckRunner({
        checks: { unit: { command: ["npm", "test"] } },
        redact_patterns: ["(unclosed"],
      }),
    ).toThrow(/not a valid regular expression[\s\S]*Usage: createProcessCheckRunner/);
    expect(() => createProcessCheckRunner({ checks: { unit: { command: [] } } })).toThrow(
      /at least the program/,
    );
  });

  it("npmPreset maps every configurable type to its npm command, overridable or removable per type", () => {
    const preset = npmPreset({
      checks: { e2e: null, unit: { command: ["npx", "vitest", "run"], timeout_ms: 1000 } },
      concurrency: 1,
    });
    // The threshold comes from the policy through npm_config_audit_level, not from the preset.
    expect(preset.checks.security?.command).toEqual(["npm", "audit", "--omit=dev"]);
    expect(preset.checks.dependency?.command).toEqual([...NPM_PRESET_COMMANDS.dependency]);
    expect(preset.checks.lint?.command).toEqual(["npm", "run", "lint"]);
    expect(preset.checks.integration?.command).toEqual(["npm", "run", "test:integration"]);
    expect(preset.checks.unit).toEqual({ command: ["npx", "vitest", "run"], timeout_ms: 1000 });
    expect(preset.checks.e2e).toBeUndefined();
    expect(preset.concurrency).toBe(1);
    expect(() => createProcessCheckRunner(preset)).not.toThrow();
  });

  it("runs through a shell only when asked to", async () => {
    const runner = createProcessCheckRunner({
      checks: {
        unit: { command: ["echo one && echo two"], shell: true },
        lint: { command: ["echo", "one && echo two"] },
      },
    });
    const shelled = (await runner.run(request(worktree, "unit")))._unsafeUnwrap();
    expect(shelled.output?.trim().split("\n")).toEqual(["one", "two"]);
    const direct = (await runner.run(request(worktree, "lint")))._unsafeUnwrap();
    expect(direct.output?.trim()).toBe("one && echo two");
  });
});

describe("process check runner: environment and secrets", () => {
  it("passes only the allowed host variables, plus its own and the configured ones", async () => {
    process.env.RUNGATE_TEST_HIDDEN = "host-only";
    process.env.RUNGATE_TEST_SHOWN = "passed-through";
    try {
      const runner = createProcessCheckRunner({
        checks: {
          unit: {
            command: [
              NODE,
              "-e",
              "const e = process.env; console.log([e.RUNGATE_TEST_HIDDEN ?? 'unset', e.RUNGATE_TEST_SHOWN, e.MODE, e.RUNGATE_CHECK_TYPE, e.RUNGATE_HEAD_SHA].join(' '))",
            ],
            env_allow: ["RUNGATE_TEST_SHOWN"],
            env: { MODE: "strict" },
          },
        },
      });
      const result = (await runner.run(request(worktree)))._unsafeUnwrap();
      expect(result.output?.trim()).toBe(`unset passed-through strict unit ${HEAD}`);
    } finally {
      delete process.env.RUNGATE_TEST_HIDDEN;
      delete process.env.RUNGATE_TEST_SHOWN;
    }
  });

  it("redacts secret values from the child's and the host's environment and user patterns", async () => {
    const token = "tok-3f9a8b7c6d5e4f3a2b1c0d";
    const hostKey = "host-api-key-77c1e0a9";
    process.env.RUNGATE_TEST_API_KEY = hostKey;
    try {
      const runner = createProcessCheckRunner({
        checks: {
          unit: {
            command: [
              NODE,
              "-e",
              "console.log('token=' + process.env.GITHUB_TOKEN); console.error('key ' + process.env.RUNGATE_TEST_API_KEY); console.log('customer acct-123456 charged'); console.log('gh ghp_' + 'A'.repeat(36)); process.exit(1)",
            ],
            env: { GITHUB_TOKEN: token },
            env_allow: ["RUNGATE_TEST_API_KEY"],
          },
        },
        redact_patterns: ["acct-[0-9]{6}"],
      });
      const result = (await runner.run(request(worktree)))._unsafeUnwrap();
      expect(result.status).toBe("failed");
      const output = result.output ?? "";
      expect(output).toContain("token=[redacted]");
      expect(output).toContain("key [redacted]");
      expect(output).toContain("customer [redacted] charged");
      expect(output).toContain("gh [redacted]");
      for (const secret of [token, hostKey, "acct-123456", "ghp_AAAA"]) expect(output).not.toContain(secret);
    } finally {
      delete process.env.RUNGATE_TEST_API_KEY;
    }
  });

  it("leaks no part of a secret that the output cap cuts in half", async () => {
    const secret = "qq-secret-0123456789abcdefghijklmnopqrstuv";
    const runner = createProcessCheckRunner({
      checks: {
        unit: {
          command: [NODE, "-e", `process.stdout.write(process.env.DEPLOY_TOKEN + "y".repeat(236))`],
          env: { DEPLOY_TOKEN: secret },
          output_cap_bytes: 256,
        },
      },
    });
    const result = (await runner.run(request(worktree)))._unsafeUnwrap();
    const output = result.output ?? "";
    expect(output).not.toContain(secret.slice(-8));
    expect(output).toMatch(/y{236}$/);
  });

  it("renders a tail that began mid-secret without its end, when the cap drops the start", () => {
    const secret = "zz-very-secret-value-123456";
    const redactor = createRedactor([secret], []);
    const text = Buffer.from(`${"a".repeat(5000)}${secret}${"b".repeat(300)}`);
    // The tail kept the last 300 + 4096 bytes; the 310-byte cap falls inside the secret, which goes whole.
    const tail = text.subarray(text.length - 4396);
    const out = renderTail(tail, text.length - 4396, 310, redactor);
    expect(out).toMatch(/^\[rungate: \d+ earlier bytes of output omitted\]\n/);
    expect(out).not.toContain("123456");
    expect(out.endsWith("b".repeat(300))).toBe(true);
  });
});

describe("process check runner: limits and process groups", () => {
  it("keeps 100 MiB of output within the cap, without holding it in memory", async () => {
    const runner = createProcessCheckRunner({
      checks: {
        unit: {
          command: [
            NODE,
            "-e",
            "const b = Buffer.alloc(1 << 20, 120); let i = 0; const w = () => { while (i < 100) { i++; if (!process.stdout.write(b)) return process.stdout.once('drain', w); } process.stderr.write('\\nTHE END\\n'); }; w();",
          ],
          output_cap_bytes: 65_536,
        },
      },
    });
    const gc = (globalThis as { gc?: () => void }).gc;
    // Held memory = live heap + buffers after a forced GC; RSS also counts pages freed but not yet returned
    // to the system, which on a loaded machine says nothing about what the runner holds.
    const held = () => {
      gc?.();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const before = held();
    const result = (await runner.run(request(worktree)))._unsafeUnwrap();
    const growth = held() - before;
    expect(result.status).toBe("passed");
    const output = result.output ?? "";
    const [notice, ...rest] = output.split("\n");
    expect(notice).toMatch(/^\[rungate: \d+ earlier bytes of output omitted\]$/);
    const omitted = Number(/(\d+)/.exec(notice ?? "")?.[1]);
    expect(omitted).toBeGreaterThan(100 * 1024 * 1024 - 70_000);
    expect(Buffer.byteLength(rest.join("\n"))).toBeLessThanOrEqual(65_536);
    expect(output.endsWith("THE END\n")).toBe(true);
    expect(growth).toBeLessThan(60 * 1024 * 1024);
  }, 60_000);

  it("fails a check that runs out of time, with its output so far, and kills its child and grandchild", async () => {
    const hang = await script(scripts, "hang.cjs", HANG_SCRIPT);
    const pidFile = join(await tempDir(), "pids.json");
    const runner = createProcessCheckRunner({
      checks: { integration: { command: [NODE, hang, pidFile] } },
      kill_grace_ms: 300,
    });
    // The configured limit is 10 minutes; the call's shorter limit wins.
    const result = (
      await runner.run(request(worktree, "integration"), { timeout_ms: 4_000 })
    )._unsafeUnwrap();
    expect(result.status).toBe("failed");
    expect(result.output).toContain("ready");
    expect(result.output).toContain("[rungate] timed out after 4000 ms; its process group was killed");
    const pids = await readPids(pidFile);
    expect(await eventually(() => isGone(pids.child))).toBe(true);
    expect(await eventually(() => isGone(pids.grandchild))).toBe(true);
  }, 60_000);

  it("answers cancelled when aborted mid-run, after killing the whole group", async () => {
    const hang = await script(scripts, "hang-abort.cjs", HANG_SCRIPT);
    const pidFile = join(await tempDir(), "pids.json");
    const runner = createProcessCheckRunner({
      checks: { e2e: { command: [NODE, hang, pidFile] } },
      kill_grace_ms: 300,
    });
    const controller = new AbortController();
    const pending = runner.run(request(worktree, "e2e"), { signal: controller.signal });
    const pids = await readPids(pidFile);
    controller.abort();
    const result = await pending;
    expect(result._unsafeUnwrapErr().kind).toBe("cancelled");
    expect(await eventually(() => isGone(pids.child))).toBe(true);
    expect(await eventually(() => isGone(pids.grandchild))).toBe(true);
  }, 60_000);

  it("kills what a passing command left running in its group", async () => {
    const pidFile = join(await tempDir(), "leftover.pid");
    const runner = createProcessCheckRunner({
      checks: {
        unit: {
          command: [
            NODE,
            "-e",
            `const c = require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "inherit" }); c.unref(); require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); console.log("done");`,
          ],
        },
      },
      kill_grace_ms: 300,
    });
    const result = (await runner.run(request(worktree)))._unsafeUnwrap();
    expect(result.status).toBe("passed");
    const leftover = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => isGone(leftover))).toBe(true);
  }, 60_000);

  it("runs checks of two worktrees at the same time", async () => {
    const barrier = await script(
      scripts,
      "barrier.cjs",
      `
const fs = require("node:fs"), path = require("node:path");
const shared = process.argv[2];
fs.writeFileSync(path.join(shared, "started-" + path.basename(process.cwd())), "");
const deadline = Date.now() + 30000;
const poll = () => {
  if (fs.readdirSync(shared).length >= 2) { console.log("cwd=" + process.cwd()); return; }
  if (Date.now() > deadline) { console.log("alone"); process.exit(1); }
  setTimeout(poll, 20);
};
poll();
`,
    );
    const shared = await tempDir();
    const [left, right] = [await tempDir("rungate-wt-left-"), await tempDir("rungate-wt-right-")];
    const runner = createProcessCheckRunner({ checks: { unit: { command: [NODE, barrier, shared] } } });
    const [a, b] = await Promise.all([runner.run(request(left)), runner.run(request(right))]);
    // Each waited until the other had started: both pass only if they ran concurrently.
    expect(a._unsafeUnwrap().status).toBe("passed");
    expect(b._unsafeUnwrap().status).toBe("passed");
    expect(a._unsafeUnwrap().output).toContain(`cwd=${realpathSync(left)}`);
    expect(b._unsafeUnwrap().output).toContain(`cwd=${realpathSync(right)}`);
  }, 60_000);

  it("runs no more checks at once than its concurrency", async () => {
    const log = join(await tempDir(), "log.txt");
    const step = await script(
      scripts,
      "step.cjs",
      `
const fs = require("node:fs");
fs.appendFileSync(process.argv[2], "start\\n");
setTimeout(() => fs.appendFileSync(process.argv[2], "end\\n"), 150);
`,
    );
    const runner = createProcessCheckRunner({
      checks: { unit: { command: [NODE, step, log] }, lint: { command: [NODE, step, log] } },
      concurrency: 1,
    });
    const dirs = await Promise.all([tempDir(), tempDir(), tempDir()]);
    const results = await Promise.all(
      dirs.map((dir, i) => runner.run(request(dir, i === 1 ? "lint" : "unit"))),
    );
    for (const r of results) expect(r._unsafeUnwrap().status).toBe("passed");
    expect(readFileSync(log, "utf8")).toBe("start\nend\n".repeat(3));
  }, 60_000);

  it("gives up a queued check when aborted while waiting for a slot", async () => {
    const hang = await script(scripts, "hang-queue.cjs", HANG_SCRIPT);
    const pidFile = join(await tempDir(), "pids.json");
    const runner = createProcessCheckRunner({
      checks: { unit: { command: [NODE, hang, pidFile] }, lint: { command: [NODE, "-e", "0"] } },
      concurrency: 1,
      kill_grace_ms: 200,
    });
    const first = new AbortController();
    const second = new AbortController();
    const running = runner.run(request(worktree, "unit"), { signal: first.signal });
    await readPids(pidFile);
    const queued = runner.run(request(worktree, "lint"), { signal: second.signal });
    second.abort();
    expect((await queued)._unsafeUnwrapErr().kind).toBe("cancelled");
    first.abort();
    expect((await running)._unsafeUnwrapErr().kind).toBe("cancelled");
    // The slot is free again.
    const after = await runner.run(request(worktree, "lint"));
    expect(after._unsafeUnwrap().status).toBe("passed");
  }, 60_000);
});
