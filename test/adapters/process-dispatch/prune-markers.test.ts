import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pruneExecutionMarkers } from "../../../src/adapters/process-dispatch/index.js";
import { removeTempDirs, tempDir } from "./dispatch-fixture.js";

afterAll(removeTempDirs);

const DAY_MS = 24 * 3600 * 1000;

/** Writes a marker as a dispatcher leaves it, last written `ageMs` ago. */
async function marker(
  dir: string,
  id: string,
  ageMs: number,
  fields: { result: unknown; context_dir?: string | null },
): Promise<string> {
  const path = join(dir, `${id}.json`);
  const body = {
    version: 1,
    execution_id: id,
    run_id: "run-1",
    assignment_id: "assignment-1",
    owner_pid: 999_999,
    agent_pgid: null,
    spawning: true,
    head_before: null,
    context_dir: null,
    started_at: "2026-01-01T00:00:00.000Z",
    ...fields,
  };
  await writeFile(path, JSON.stringify(body));
  await age(path, ageMs);
  return path;
}

async function age(path: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  await utimes(path, when, when);
}

const ENDED = { ok: { outcome: "committed", exit_code: 0, summary: null } };

describe("pruneExecutionMarkers", () => {
  it("removes old markers of ended executions (and a context directory one still names), keeps the rest", async () => {
    const dir = join(await tempDir(), "state");
    await mkdir(dir);
    const context_dir = await mkdtemp(join(tmpdir(), "rungate-context-"));
    await marker(dir, "old-ok", 40 * DAY_MS, { result: ENDED, context_dir });
    const failed = { error: { kind: "timeout", code: "agent_timeout", message: "ran out", detail: {} } };
    await marker(dir, "old-failed", 40 * DAY_MS, { result: failed });
    await marker(dir, "young-ok", 1 * DAY_MS, { result: ENDED });
    // No result: in flight, or a crashed run's only record that its agent may have started.
    await marker(dir, "old-unfinished", 40 * DAY_MS, { result: null });
    const half = join(dir, "old-ok.json.4242.0b8e6a1c-5a1f-4c3e-9d7b-2f6e1a9c8d70.tmp");
    await writeFile(half, '{"version":');
    await age(half, 40 * DAY_MS);
    const garbled = join(dir, "garbled.json");
    await writeFile(garbled, "not json");
    await age(garbled, 40 * DAY_MS);
    const unrelated = join(dir, "notes.txt");
    await writeFile(unrelated, "a person's notes");
    await age(unrelated, 40 * DAY_MS);

    const pruned = await pruneExecutionMarkers({ state_dir: dir, older_than_ms: 30 * DAY_MS });
    expect(pruned._unsafeUnwrap()).toEqual({
      removed: 2,
      removed_temp_files: 1,
      kept_unfinished: 1,
      unreadable: 1,
    });
    expect((await readdir(dir)).sort()).toEqual([
      "garbled.json",
      "notes.txt",
      "old-unfinished.json",
      "young-ok.json",
    ]);
    expect(existsSync(context_dir)).toBe(false);
  });

  it("has nothing to prune in a state dir that does not exist", async () => {
    const missing = join(await tempDir(), "never-made");
    const pruned = await pruneExecutionMarkers({ state_dir: missing, older_than_ms: 0 });
    expect(pruned._unsafeUnwrap()).toEqual({
      removed: 0,
      removed_temp_files: 0,
      kept_unfinished: 0,
      unreadable: 0,
    });
  });

  it("answers validation for bad input and cancelled for an aborted signal, removing nothing", async () => {
    const dir = await tempDir();
    const path = await marker(dir, "old-ok", 40 * DAY_MS, { result: ENDED });
    const negative = await pruneExecutionMarkers({ state_dir: dir, older_than_ms: -1 });
    expect(negative._unsafeUnwrapErr()).toMatchObject({ kind: "validation", code: "invalid_prune_input" });
    const unknown = await pruneExecutionMarkers({ state_dir: dir, older_than_ms: 0, dry: true } as never);
    expect(unknown._unsafeUnwrapErr()).toMatchObject({ kind: "validation" });
    const aborted = await pruneExecutionMarkers(
      { state_dir: dir, older_than_ms: 0 },
      { signal: AbortSignal.abort() },
    );
    expect(aborted._unsafeUnwrapErr()).toMatchObject({ kind: "cancelled", code: "aborted" });
    expect(existsSync(path)).toBe(true);
  });

  it("answers port_failure when the state dir cannot be read", async () => {
    const file = join(await tempDir(), "a-file");
    await writeFile(file, "");
    const pruned = await pruneExecutionMarkers({ state_dir: file, older_than_ms: 0 });
    expect(pruned._unsafeUnwrapErr()).toMatchObject({ kind: "port_failure", code: "agent_dispatch_failed" });
  });
});
