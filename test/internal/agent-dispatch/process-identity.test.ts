import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { type ExecutionMarker, ownerRuns } from "../../../src/internal/agent-dispatch/execution-markers.js";
import {
  currentProcessIdentity,
  processRuns,
  processStartTicks,
} from "../../../src/internal/agent-dispatch/process-identity.js";

const marker = (fields: Partial<ExecutionMarker>): ExecutionMarker => ({
  version: 1,
  execution_id: "e-1",
  run_id: "r-1",
  assignment_id: "a-1",
  owner_pid: process.pid,
  agent_pgid: null,
  spawning: true,
  head_before: null,
  context_dir: null,
  started_at: "2026-12-06T00:00:00.000Z",
  result: null,
  ...fields,
});

describe.skipIf(!existsSync("/proc/self/stat"))("process identity (Linux /proc)", () => {
  it("names this process by host, boot and start time", () => {
    const me = currentProcessIdentity();
    expect(me.host).toBe(hostname());
    expect(me.boot_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.start_ticks).toBe(processStartTicks(process.pid));
    expect(processRuns(process.pid, me)).toBe(true);
  });

  it("tells a live owner from a reused pid, an earlier boot and an ended process", async () => {
    const child = execa(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
    const pid = child.pid ?? 0;
    const identity = { ...currentProcessIdentity(), start_ticks: processStartTicks(pid) };
    try {
      expect(processRuns(pid, identity)).toBe(true);
      expect(processRuns(pid, { ...identity, start_ticks: "1" })).toBe(false);
      expect(processRuns(pid, { ...identity, boot_id: "an-earlier-boot" })).toBe(false);
      // Another host: this machine can tell nothing more than the pid.
      expect(processRuns(pid, { ...identity, host: "elsewhere", start_ticks: "1" })).toBe(true);
      expect(ownerRuns(marker({ owner_pid: pid, owner: identity }))).toBe(true);
    } finally {
      child.kill("SIGKILL");
      await child.catch(() => undefined);
    }
    expect(processRuns(pid, identity)).toBe(false);
    expect(ownerRuns(marker({ owner_pid: pid, owner: identity }))).toBe(false);
  });

  it("never judges this process the owner of a run in flight, but a pid it reuses is no owner either", () => {
    const me = currentProcessIdentity();
    expect(ownerRuns(marker({ owner: me }))).toBe(false);
    expect(ownerRuns(marker({}))).toBe(false);
    expect(ownerRuns(marker({ owner: { ...me, start_ticks: "1" } }))).toBe(false);
  });
});
