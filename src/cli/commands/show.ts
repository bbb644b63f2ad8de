import { z } from "zod";
import { createOrchestrator, type ResultAsync, type RunState } from "../../index.js";
import { summariseCards, titleOf } from "../card-summary.js";
import { type CliError, rungateFailure } from "../cli-error.js";
import type { CliIo } from "../io.js";
import { IdArgument, parseOptions, StateDirOption } from "../options.js";
import { portsOf, withStateDir } from "../state-dir.js";
import { approvalsTable, checksTable, pullRequestsTable, showCardsTable } from "../tables.js";

/** The input of `rungate show`. */
export const ShowInput = z.object({
  run: IdArgument,
  json: z.boolean().default(false),
  stateDir: StateDirOption,
});

/** The run's own lines: phase, repository, who started it, its policy snapshot, why it failed. */
function runLines(state: RunState): string[] {
  const { run } = state;
  return [
    `run ${run.id}`,
    `  phase     ${run.phase} (${run.status})`,
    `  repo      ${run.repo_url} (base ${run.base_branch})`,
    `  started   ${run.created_at} by ${run.initiated_by}`,
    `  policy    ${run.system_policy_profile_id} ${run.snapshot_hashes?.system_policy ?? ""}`.trimEnd(),
    ...(run.failure === null ? [] : [`  failure   ${run.failure.kind}: ${run.failure.message}`]),
  ];
}

/** Everything stored about a run, as sections of tables (empty sections say so). */
function render(state: RunState, isTTY: boolean): string[] {
  const titles = new Map(state.assignments.map((a) => [a.id, titleOf(a)]));
  const cards = summariseCards(state);
  const section = (name: string, count: number, table: () => string) =>
    count === 0 ? [`${name}: none`] : [`${name}:`, table()];
  return [
    ...runLines(state),
    "",
    ...section("cards", cards.length, () => showCardsTable(cards, isTTY)),
    ...cards.filter((c) => c.problem !== null).map((c) => `✗ ${c.title}: ${c.problem}`),
    ...section("checks", state.checks.length, () => checksTable(state, titles, isTTY)),
    ...section("approvals", state.approvals.length, () => approvalsTable(state, titles, isTTY)),
    ...section("pull requests", state.pull_requests.length, () => pullRequestsTable(state, titles, isTTY)),
  ];
}

/** `rungate show <run>`: the run, its cards, checks, approvals and draft PRs (`--json`: the stored records). */
export function showCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return parseOptions(ShowInput, raw, "show").asyncAndThen((input) =>
    withStateDir(input.stateDir, { create: false, command: "show" }, (state) =>
      createOrchestrator(portsOf(state))
        .getRun(input.run)
        .mapErr(rungateFailure)
        .map((run) => {
          io.out(...(input.json ? [JSON.stringify(run, null, 2)] : render(run, io.isTTY)));
          return 0;
        }),
    ),
  );
}
