import { z } from "zod";
import { CONFIGURABLE_CHECK_TYPES } from "../adapters/process-checks/index.js";
import { err, ok, type Result, UserActorId } from "../index.js";
import { type CliError, zodUsageError } from "./cli-error.js";

/** The state directory `--state-dir` defaults to, relative to the current directory. */
export const DEFAULT_STATE_DIR = ".rungate";

/** `--state-dir`. */
export const StateDirOption = z.string().min(1, "--state-dir must not be empty");

/** A person, as `--by` names them: `ana` or `user:ana` (other actor types are refused). */
export const PersonOption = UserActorId;

/** A run or approval id: a UUID as `rungate run` and `rungate runs` print them. */
export const IdArgument = z.uuid("must be an id as rungate prints it (a UUID)");

/** An environment variable name for `--env-allow`, or a prefix ending in `*`. */
export const EnvAllowName = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*\*?$/,
    "an environment variable name, or a prefix ending in * (e.g. MY_AGENT_*)",
  );

/** A glob for `--allow` / `--forbid` (judged by the path rules: docs/path-rules.md). */
export const GlobOption = z.string().min(1, "a glob must not be empty").max(1_000);

/** `--check name=command`: a check type rungate runs as a shell command in a fresh checkout of the card's head. */
export const CheckOption = z.string().transform((spec, ctx) => {
  const at = spec.indexOf("=");
  const name = at < 0 ? spec : spec.slice(0, at);
  const command = at < 0 ? "" : spec.slice(at + 1).trim();
  if (!(CONFIGURABLE_CHECK_TYPES as readonly string[]).includes(name)) {
    ctx.addIssue({
      code: "custom",
      message: `--check ${spec}: the check name must be one of ${CONFIGURABLE_CHECK_TYPES.join(", ")} (policy is rungate's own), written name=command`,
    });
    return z.NEVER;
  }
  if (command === "") {
    ctx.addIssue({
      code: "custom",
      message: `--check ${spec}: give the command after "=", e.g. unit=npm test`,
    });
    return z.NEVER;
  }
  return { type: name as (typeof CONFIGURABLE_CHECK_TYPES)[number], command };
});
/** A parsed `--check`. */
export type CheckOption = z.infer<typeof CheckOption>;

/** Parses a command's options (or arguments) with `schema`: each zod issue becomes a line of a usage error. */
export function parseOptions<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  command: string,
): Result<z.infer<S>, CliError> {
  const parsed = schema.safeParse(raw);
  return parsed.success
    ? ok(parsed.data)
    : err(zodUsageError(`rungate ${command}: invalid input:`, parsed.error));
}

/** Commander's collector for a repeatable option: each occurrence appended. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The `--state-dir` part of a command line to print, empty for the default directory. */
export function stateDirFlag(given: string): string {
  return given === DEFAULT_STATE_DIR ? "" : ` --state-dir ${shellQuote(given)}`;
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
