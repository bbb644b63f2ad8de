/**
 * Renders docs/lifecycle.md from the transition tables themselves, so the documented lifecycle cannot drift
 * from the code. `npx tsx scripts/lifecycle-doc.ts --write` rewrites the file; the test suite checks it.
 */
import { writeFileSync } from "node:fs";
import {
  ASSIGNMENT_PHASE_STATUS,
  ASSIGNMENT_TRANSITIONS,
  formatTransitionTable,
  RUN_PHASE_STATUS,
  RUN_TRANSITIONS,
  TERMINAL_ASSIGNMENT_PHASES,
  TERMINAL_RUN_PHASES,
} from "../src/index.js";

const statusTable = (map: Readonly<Record<string, string>>, terminal: readonly string[]) =>
  [
    "| phase | stored status | terminal |",
    "| --- | --- | --- |",
    ...Object.entries(map).map(
      ([phase, status]) => `| ${phase} | ${status} | ${terminal.includes(phase) ? "yes" : ""} |`,
    ),
  ].join("\n");

/** The full text of docs/lifecycle.md. */
export function lifecycleDoc(): string {
  return `# Lifecycles

Generated from \`RUN_TRANSITIONS\` and \`ASSIGNMENT_TRANSITIONS\` by \`scripts/lifecycle-doc.ts\`; the test
suite fails when this file and the tables disagree. Rows are tried top-down; a row applies only when its
guard passes. Every state change in rungate goes through \`transitionRun\` / \`transitionAssignment\`, which
also set the stored \`status\` from the phase.

Stored statuses are the six host apps already know. \`blocked\` means *waiting on a person*: a failed check
to retry or fix, an approval to decide, a draft PR to merge or close. A PR closed unmerged ends as
\`cancelled\` (phase \`closed\`), a merged one as \`completed\`.

## Guards

| guard | holds when |
| --- | --- |
| changes_within_path_rules | the agent's changes carry no path violation |
| has_path_violations | a path violation names at least one offending path |
| approval_gate_open | \`canRequestApproval\`: every required check \`passed\` on the assignment's current head |
| approval_gate_open_for_every_assignment | the same, for every assignment of the run |
| approved_by_user_for_head / rejected_by_user_for_head | the decision is recorded, made by an actor of type \`user\`, for this assignment's current head |
| every_assignment_approved_by_user | a user decided, and every assignment is \`approved\` |
| decided_by_user | the actor is a \`user\` |
| pull_request_gate_open | \`canCreatePullRequest\`: every approval the changes need is approved by a person for the current head |
| every_assignment_has_pr | every assignment is \`pr_open\` |
| observed_from_person / merge_observed / close_observed | reported by a \`user\` or a \`pr_host\` (what a person did on the PR host); rungate never merges |
| all_agents_finished | every assignment is past its agent |
| head_moved | the new commit differs from the recorded head |

## Run

${formatTransitionTable(RUN_TRANSITIONS)}

${statusTable(RUN_PHASE_STATUS, TERMINAL_RUN_PHASES)}

## Card assignment

${formatTransitionTable(ASSIGNMENT_TRANSITIONS)}

${statusTable(ASSIGNMENT_PHASE_STATUS, TERMINAL_ASSIGNMENT_PHASES)}
`;
}

if (process.argv.includes("--write")) {
  writeFileSync(new URL("../docs/lifecycle.md", import.meta.url), lifecycleDoc());
}
