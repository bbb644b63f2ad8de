import { z } from "zod";
import { createOrchestrator, type ResultAsync } from "../../index.js";
import { titleOf } from "../card-summary.js";
import { type CliError, rungateFailure } from "../cli-error.js";
import type { CliIo } from "../io.js";
import { IdArgument, PersonOption, parseOptions, StateDirOption } from "../options.js";
import { portsOf, withStateDir } from "../state-dir.js";

/** The input of `rungate cancel`. */
export const CancelInput = z.object({
  run: IdArgument,
  by: PersonOption,
  stateDir: StateDirOption,
});

/**
 * `rungate cancel <run>`: a person's decision to stop a run. Its unfinished cards and the run end `cancelled`;
 * a run already finished is answered as it stands (its phase is printed either way).
 */
export function cancelCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return parseOptions(CancelInput, raw, "cancel").asyncAndThen((input) =>
    withStateDir(input.stateDir, { create: false, command: "cancel" }, (state) =>
      createOrchestrator(portsOf(state))
        .cancelRun({ run_id: input.run, cancelled_by: input.by })
        .mapErr(rungateFailure)
        .map((run) => {
          io.out(`run ${run.run.id}: ${run.run.phase}`);
          for (const a of run.assignments) io.out(`  ${titleOf(a)}: ${a.phase}`);
          return 0;
        }),
    ),
  );
}
