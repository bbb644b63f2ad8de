import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  createProcessCheckRunner,
  detectPreparePreset,
  npmPreset,
} from "../../../src/adapters/process-checks/index.js";
import type { CheckRunRequest } from "../../../src/ports/check-runner.js";
import { fixtureId } from "../../../src/testing/fixtures.js";
import { removeTempDirs, tempDir } from "./process-helpers.js";

// Real child processes (node scripts); no network and no real package manager.

const NODE = process.execPath;
const request = (worktree_path: string): CheckRunRequest => ({
  run_id: fixtureId(1),
  assignment_id: fixtureId(2),
  check_type: "unit",
  head_sha: "a".repeat(40),
  worktree_path,
});
/** A check that passes only when the prepare step left `installed` in the tree. */
const NEEDS_INSTALL = [
  NODE,
  "-e",
  "require('fs').existsSync('installed') ? console.log('deps there') : process.exit(3)",
];

afterAll(removeTempDirs);

describe("the prepare step of the process check runner", () => {
  it("installs before the check in the check's tree, records the step, and the check sees what it installed", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner({
      checks: { unit: { command: NEEDS_INSTALL } },
      prepare: {
        command: [
          NODE,
          "-e",
          "require('fs').writeFileSync('installed', '1'); console.log('added 3 packages')",
        ],
      },
    });
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result.status).toBe("passed");
    expect(result.prepare).toMatchObject({ status: "passed" });
    expect(result.prepare?.command).toContain("writeFileSync");
    expect(result.output).toMatch(/\[rungate\] prepare: .* passed in \d+ ms/);
    expect(result.output).toContain("deps there");
  });

  it("without a prepare step the same check fails: the tree has no dependencies", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner({ checks: { unit: { command: NEEDS_INSTALL } } });
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result.status).toBe("failed");
    expect(result.prepare).toBeUndefined();
  });

  it("never runs the check after a failed install, and says why", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner({
      checks: { unit: { command: [NODE, "-e", "require('fs').writeFileSync('check-ran', '1')"] } },
      prepare: { command: [NODE, "-e", "console.error('ERESOLVE could not resolve'); process.exit(1)"] },
    });
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result.status).toBe("failed");
    expect(result.prepare?.status).toBe("failed");
    expect(result.output).toContain("ERESOLVE");
    expect(existsSync(join(tree, "check-ran"))).toBe(false);
  });

  it("answers error when the package manager is missing (never passes)", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner({
      checks: { unit: { command: [NODE, "-e", "0"] } },
      prepare: { command: ["rungate-no-such-package-manager", "install"] },
    });
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result.status).toBe("error");
    expect(result.prepare?.status).toBe("error");
  });

  it("hands every package manager the shared cache directory through its environment", async () => {
    const tree = await tempDir();
    const cache = await tempDir("rungate-cache-");
    const seen = "['npm_config_cache','UV_CACHE_DIR','GOMODCACHE'].map((k) => process.env[k]).join(' ')";
    const runner = createProcessCheckRunner({
      checks: {
        unit: { command: [NODE, "-e", "console.log(require('fs').readFileSync('installed', 'utf8'))"] },
      },
      prepare: { command: [NODE, "-e", `require('fs').writeFileSync('installed', ${seen})`] },
      cache_dir: cache,
    });
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result.output).toContain(`${cache}/npm ${cache}/uv ${cache}/go-mod`);
  });

  it("detect installs nothing in a tree without a lock file (npmPreset's default)", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner(
      npmPreset({ checks: { unit: { command: [NODE, "-e", "console.log('ok')"] } } }),
    );
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    expect(result).toMatchObject({ status: "passed" });
    expect(result.prepare).toBeUndefined();
  });

  it("detect finds the package manager from the tree's root files", async () => {
    expect(detectPreparePreset(["package.json", "package-lock.json"])).toBe("npm");
    expect(detectPreparePreset(["package.json", "package-lock.json", "pnpm-lock.yaml"])).toBe("pnpm");
    expect(detectPreparePreset(["yarn.lock"])).toBe("yarn");
    expect(detectPreparePreset(["pyproject.toml", "uv.lock", "requirements.txt"])).toBe("uv");
    expect(detectPreparePreset(["requirements.txt"])).toBe("pip");
    expect(detectPreparePreset(["go.mod", "go.sum"])).toBe("go");
    expect(detectPreparePreset(["Cargo.toml", "Cargo.lock"])).toBe("cargo");
    expect(detectPreparePreset(["README.md", "package.json"])).toBeNull();
  });

  it("detect runs the detected preset in the tree (a stand-in npm on PATH)", async () => {
    const tree = await tempDir();
    const bin = await tempDir("rungate-bin-");
    await writeFile(join(tree, "package-lock.json"), "{}");
    // The stand-in records its arguments: proof that detection chose `npm ci` with the lock file's flags.
    await writeFile(join(bin, "npm"), `#!/bin/sh\necho "$@" > installed\n`, { mode: 0o755 });
    const runner = createProcessCheckRunner({
      checks: { unit: { command: NEEDS_INSTALL, env: { PATH: `${bin}:${process.env.PATH ?? ""}` } } },
      prepare: "detect",
    });
    // The prepare command gets the host PATH; put the stand-in first for it too.
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved ?? ""}`;
    const result = (await runner.run(request(tree)))._unsafeUnwrap();
    process.env.PATH = saved;
    expect(result.status).toBe("passed");
    expect(result.prepare?.command).toBe("npm ci --prefer-offline --no-audit --no-fund");
  });

  it("hands the policy's fail_on_severity to every check (npm audit reads npm_config_audit_level)", async () => {
    const tree = await tempDir();
    const runner = createProcessCheckRunner({
      checks: {
        security: {
          command: [
            NODE,
            "-e",
            "console.log(process.env.RUNGATE_FAIL_ON_SEVERITY, process.env.npm_config_audit_level)",
          ],
        },
      },
    });
    const ask = (fail_on_severity?: "critical") =>
      runner.run({
        ...request(tree),
        check_type: "security",
        ...(fail_on_severity ? { fail_on_severity } : {}),
      });
    expect((await ask("critical"))._unsafeUnwrap().output).toContain("critical critical");
    expect((await ask())._unsafeUnwrap().output).toContain("undefined undefined");
  });
});
