import { z } from "zod";
import { createOrchestrator, type ResultAsync, RunPhase } from "../../index.js";
import { type CliError, rungateFailure } from "../cli-error.js";
import type { CliIo } from "../io.js";
import { parseOptions, StateDirOption } from "../options.js";
import { portsOf, withStateDir } from "../state-dir.js";
import { runsTable } from "../tables.js";

/** The options of `rungate runs`. */
export const RunsOptions = z.object({
  phase: z.array(RunPhase).optional(),
  limit: z.coerce.number().int("--limit is a whole number").min(1).max(500).default(50),
  json: z.boolean().default(false),
  stateDir: StateDirOption,
});

/**
 * `rungate runs`: the stored runs, newest first (at most `--limit`, optionally only some `--phase`s), as a
 * table or, with `--json`, as the records themselves.
 */
export function runsCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return parseOptions(RunsOptions, raw, "runs").asyncAndThen((options) =>
    withStateDir(options.stateDir, { create: false, command: "runs" }, (state) =>
      createOrchestrator(portsOf(state))
        .listRuns({
          limit: options.limit,
          ...(options.phase === undefined || options.phase.length === 0 ? {} : { phases: options.phase }),
        })
        .mapErr(rungateFailure)
        .map((page) => {
          if (options.json) io.out(JSON.stringify(page.runs, null, 2));
          else if (page.runs.length === 0) io.out("No runs.");
          else io.out(runsTable(page.runs, io.isTTY));
          if (!options.json && page.next_cursor !== null) io.out(`(more runs: raise --limit)`);
          return 0;
        }),
    ),
  );
}
