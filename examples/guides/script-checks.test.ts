// script-checks.test.ts
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CheckRunRequest } from "rungate";
import { describeCheckRunnerContract } from "rungate/testing/contracts";
import { createScriptCheckRunner } from "./script-checks.js";

/** A fresh tree whose `checks/unit.sh` is `script`, and a request to run that check in it. */
function unitCheck(script: string): CheckRunRequest {
  const worktree_path = mkdtempSync(join(tmpdir(), "script-checks-"));
  mkdirSync(join(worktree_path, "checks"));
  writeFileSync(join(worktree_path, "checks", "unit.sh"), script);
  return {
    run_id: "00000000-0000-4000-8000-000000000001",
    assignment_id: "00000000-0000-4000-8000-000000000002",
    check_type: "unit",
    head_sha: "a".repeat(40),
    worktree_path,
  };
}

describeCheckRunnerContract({
  name: "script-checks",
  make: () => ({
    runner: createScriptCheckRunner(),
    passing: async () => unitCheck("echo all good\n"),
    failing: async () => unitCheck("echo 'expected 5, got 6' >&2\nexit 1\n"),
  }),
});
