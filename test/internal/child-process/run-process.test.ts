import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runProcess } from "../../../src/internal/child-process/run-process.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** A program that leaves a file behind when it runs: proof that it ran. */
async function touchingProgram() {
  const dir = await mkdtemp(join(tmpdir(), "rungate-gate-"));
  dirs.push(dir);
  const proof = join(dir, "ran");
  const argv = [process.execPath, "-e", `require("node:fs").writeFileSync(${JSON.stringify(proof)}, "x")`];
  return { dir, proof, argv };
}

const base = {
  env: { PATH: process.env.PATH ?? "" },
  timeout_ms: 30_000,
  kill_grace_ms: 200,
  tail_bytes: 1024,
};

describe("runProcess with a held start (gate)", () => {
  it("runs the program once released, under the pid onSpawn saw", async () => {
    const { dir, proof, argv } = await touchingProgram();
    let seen: number | null = null;
    const report = await runProcess({
      ...base,
      argv,
      cwd: dir,
      gate: true,
      onSpawn: (pid, release) => {
        seen = pid;
        release?.();
      },
    });
    expect(report.end).toEqual({ kind: "exited", exit_code: 0, signal: null });
    expect(seen).not.toBeNull();
    expect(existsSync(proof)).toBe(true);
  });

  it("never runs the program when it is not released (the caller failed, or died, first)", async () => {
    const { dir, proof, argv } = await touchingProgram();
    for (const onSpawn of [
      () => undefined,
      () => {
        throw new Error("could not record the start");
      },
    ]) {
      const report = await runProcess({ ...base, argv, cwd: dir, gate: true, onSpawn });
      expect(report.end).toMatchObject({ kind: "exited", exit_code: 0 });
      expect(existsSync(proof)).toBe(false);
    }
  });

  it("hands no release to onSpawn without a gate", async () => {
    const { dir, proof, argv } = await touchingProgram();
    let release: unknown = "unset";
    await runProcess({ ...base, argv, cwd: dir, onSpawn: (_pid, r) => (release = r) });
    expect(release).toBeUndefined();
    expect(existsSync(proof)).toBe(true);
  });
});
