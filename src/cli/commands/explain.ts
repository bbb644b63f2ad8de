import { z } from "zod";
import {
  errAsync,
  explainPolicy,
  okAsync,
  type PolicyExplanation,
  type ResultAsync,
  type SystemPolicyProfile,
} from "../../index.js";
import { type CliError, rungateFailure, usageError } from "../cli-error.js";
import type { CliIo } from "../io.js";
import { GlobOption, parseOptions, StateDirOption } from "../options.js";
import { readPolicyFile } from "../policy-file.js";
import { newId, readProjectFile } from "../project-file.js";
import { statePaths } from "../state-dir.js";
import { explainTable } from "../tables.js";

/** The input of `rungate explain`. */
export const ExplainInput = z.object({
  paths: z.array(z.string().min(1, "a path must not be empty")).min(1, "give at least one path to explain"),
  policy: z.string().min(1).optional(),
  allow: z.array(GlobOption).default([]),
  forbid: z.array(GlobOption).default([]),
  json: z.boolean().default(false),
  stateDir: StateDirOption,
});
type ExplainInput = z.infer<typeof ExplainInput>;

/** `--policy`'s file, else the policy the state directory's last run used. */
function policyFor(input: ExplainInput): ResultAsync<SystemPolicyProfile, CliError> {
  if (input.policy !== undefined) {
    return readPolicyFile(input.policy, {
      policy_id: newId(),
      project_id: newId(),
      now: new Date().toISOString(),
    });
  }
  const paths = statePaths(input.stateDir);
  return readProjectFile(paths.project).andThen((project) =>
    project === null
      ? errAsync(usageError(`give --policy <file>: there is no project policy in ${paths.root} yet`))
      : okAsync(project.policy),
  );
}

function render(why: PolicyExplanation, isTTY: boolean): string[] {
  return [
    explainTable(why.paths, isTTY),
    `checks that must pass: ${why.checks.join(", ")}`,
    ...why.approvals.map((a) => `approval needed: ${a.approval_type} (${a.because})`),
  ];
}

/**
 * `rungate explain <paths…>`: how the policy judges each path as a change a card made (with the card's
 * `--allow` globs, default everything, and its extra `--forbid` globs): the verdict, the rule that decided,
 * why; then the checks that must pass and the approvals a draft PR of those changes would need. Pure: no
 * store is opened. Exit 0 whatever the verdicts.
 */
export function explainCommand(io: CliIo, raw: unknown): ResultAsync<number, CliError> {
  return parseOptions(ExplainInput, raw, "explain").asyncAndThen((input) =>
    policyFor(input).andThen((policy) => {
      const why = explainPolicy(policy, {
        paths: input.paths,
        allowed_paths: input.allow.length === 0 ? ["**"] : input.allow,
        forbidden_paths: input.forbid,
      });
      if (why.isErr()) return errAsync(rungateFailure(why.error));
      io.out(...(input.json ? [JSON.stringify(why.value, null, 2)] : render(why.value, io.isTTY)));
      return okAsync(0);
    }),
  );
}
