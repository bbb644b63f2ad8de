import { execFile, spawnSync } from "node:child_process";
import { readFile, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { afterEach, describe, expect, it } from "vitest";
import { CLONE_LOCK_FILE, withCloneLock } from "../../../src/adapters/simple-git/clone-lock.js";
import { rungateError } from "../../../src/core/errors.js";
import type { PortError } from "../../../src/ports/port-error.js";
import { removeTempDirs, tempDir } from "./git-helpers.js";

const run = promisify(execFile);
const HOLDER_SCRIPT = join(import.meta.dirname, "fixtures", "lock-holder.ts");

afterEach(removeTempDirs);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const TIMINGS = { wait_ms: 10_000, stale_ms: 30_000 };

/** Counts holders inside the lock at once; `peak` is the most ever seen together. */
function occupancy() {
  const state = { inside: 0, peak: 0, entries: 0 };
  const body = (ms: number) => () =>
    ResultAsync.fromSafePromise(
      (async () => {
        state.inside++;
        state.entries++;
        state.peak = Math.max(state.peak, state.inside);
        await sleep(ms);
        state.inside--;
        return state.entries;
      })(),
    );
  return { state, body };
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

async function writeHolder(clone: string, holder: { pid: number; host: string; token: string }) {
  await writeFile(join(clone, CLONE_LOCK_FILE), JSON.stringify(holder));
}

describe("withCloneLock", () => {
  it("lets one holder in at a time among concurrent callers, and releases the file after", async () => {
    const clone = await tempDir("rungate-lock-");
    const { state, body } = occupancy();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => withCloneLock("test", clone, "op", TIMINGS, undefined, body(3))),
    );
    expect(results.every((r) => r.isOk())).toBe(true);
    expect(state.entries).toBe(20);
    expect(state.peak).toBe(1);
    await expect(stat(join(clone, CLONE_LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("excludes holders in other processes (4 processes × 25 rounds never interleave)", async () => {
    const clone = await tempDir("rungate-lock-");
    const log = join(clone, "log");
    await writeFile(log, "");
    await Promise.all(
      [0, 1, 2, 3].map(() =>
        run(process.execPath, ["--import", "tsx", HOLDER_SCRIPT, clone, log, "25"], { timeout: 60_000 }),
      ),
    );
    const lines = (await readFile(log, "utf8")).trim().split("\n");
    expect(lines).toHaveLength(200);
    for (let i = 0; i < lines.length; i += 2) {
      const enter = lines[i]?.split(" ");
      const leave = lines[i + 1]?.split(" ");
      expect(enter?.[0]).toBe("enter");
      expect(leave).toEqual(["leave", enter?.[1]]);
    }
  }, 90_000);

  it("passes the body's result through and releases the lock when the body fails", async () => {
    const clone = await tempDir("rungate-lock-");
    const failure: PortError = rungateError("not_found", "ref_not_found", { entity: "ref", id: "x" });
    const failed = await withCloneLock("test", clone, "op", TIMINGS, undefined, () => errAsync(failure));
    expect(failed._unsafeUnwrapErr()).toBe(failure);
    const passed = await withCloneLock("test", clone, "op", TIMINGS, undefined, () => okAsync(42));
    expect(passed._unsafeUnwrap()).toBe(42);
    await expect(stat(join(clone, CLONE_LOCK_FILE))).rejects.toThrow(/ENOENT/);
  });

  it("takes over at once a lock whose holder is a dead process of this host", async () => {
    const clone = await tempDir("rungate-lock-");
    await writeHolder(clone, { pid: deadPid(), host: hostname(), token: "dead" });
    const started = Date.now();
    const result = await withCloneLock("test", clone, "op", TIMINGS, undefined, () => okAsync("in"));
    expect(result._unsafeUnwrap()).toBe("in");
    expect(Date.now() - started).toBeLessThan(TIMINGS.stale_ms);
  });

  it("lets exactly one of many waiters take over a dead holder's lock at a time", async () => {
    const clone = await tempDir("rungate-lock-");
    await writeHolder(clone, { pid: deadPid(), host: hostname(), token: "dead" });
    const { state, body } = occupancy();
    const results = await Promise.all(
      Array.from({ length: 12 }, () => withCloneLock("test", clone, "op", TIMINGS, undefined, body(2))),
    );
    expect(results.every((r) => r.isOk())).toBe(true);
    expect(state.peak).toBe(1);
  });

  it("waits for a live holder and fails with clone_lock_timeout, leaving its lock alone", async () => {
    const clone = await tempDir("rungate-lock-");
    await writeHolder(clone, { pid: process.pid, host: hostname(), token: "alive" });
    const result = await withCloneLock(
      "test",
      clone,
      "createWorktree",
      { wait_ms: 150, stale_ms: 30_000 },
      undefined,
      () => okAsync("never"),
    );
    const error = result._unsafeUnwrapErr();
    expect(error.kind).toBe("timeout");
    expect(error.code).toBe("clone_lock_timeout");
    expect(error.detail).toMatchObject({ operation: "createWorktree", timeout_ms: 150 });
    expect(JSON.parse(await readFile(join(clone, CLONE_LOCK_FILE), "utf8")).token).toBe("alive");
  });

  it("takes over a lock nobody touched for stale_ms, even one from another machine", async () => {
    const clone = await tempDir("rungate-lock-");
    await writeHolder(clone, { pid: process.pid, host: "another-machine", token: "far" });
    const past = new Date(Date.now() - 60_000);
    await utimes(join(clone, CLONE_LOCK_FILE), past, past);
    const result = await withCloneLock("test", clone, "op", TIMINGS, undefined, () => okAsync("in"));
    expect(result._unsafeUnwrap()).toBe("in");
  });

  it("keeps its lock fresh while the body runs longer than stale_ms", async () => {
    const clone = await tempDir("rungate-lock-");
    const timings = { wait_ms: 5_000, stale_ms: 120 };
    const { state, body } = occupancy();
    const long = withCloneLock("test", clone, "op", timings, undefined, body(600));
    await sleep(20);
    const second = withCloneLock("test", clone, "op", timings, undefined, body(1));
    const [a, b] = await Promise.all([long, second]);
    expect(a.isOk() && b.isOk()).toBe(true);
    expect(state.peak).toBe(1);
  });

  it("answers cancelled when aborted before or while waiting", async () => {
    const clone = await tempDir("rungate-lock-");
    const before = await withCloneLock("test", clone, "op", TIMINGS, AbortSignal.abort(), () => okAsync(1));
    expect(before._unsafeUnwrapErr().kind).toBe("cancelled");
    await writeHolder(clone, { pid: process.pid, host: hostname(), token: "alive" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const during = await withCloneLock("test", clone, "op", TIMINGS, controller.signal, () => okAsync(1));
    expect(during._unsafeUnwrapErr().kind).toBe("cancelled");
  });

  it("does not remove a lock that was taken over from it while its body ran", async () => {
    const clone = await tempDir("rungate-lock-");
    const result = await withCloneLock("test", clone, "op", TIMINGS, undefined, () =>
      ResultAsync.fromSafePromise(
        writeHolder(clone, { pid: process.pid, host: hostname(), token: "successor" }),
      ),
    );
    expect(result.isOk()).toBe(true);
    expect(JSON.parse(await readFile(join(clone, CLONE_LOCK_FILE), "utf8")).token).toBe("successor");
  });
});
