import { userInfo } from "node:os";
import { Command, CommanderError, Option } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { type ResultAsync, RUN_PHASES } from "../index.js";
import { type CliError, describeCliError, exitCodeOf } from "./cli-error.js";
import { approveCommand } from "./commands/approve.js";
import { cancelCommand } from "./commands/cancel.js";
import { explainCommand } from "./commands/explain.js";
import { runCommand } from "./commands/run.js";
import { runsCommand } from "./commands/runs.js";
import { showCommand } from "./commands/show.js";
import type { CliIo } from "./io.js";
import { collect, DEFAULT_STATE_DIR } from "./options.js";

/** Exit code of a usage error (commander's own or a bad input). */
export const EXIT_USAGE = 2;

/** A command's work: its exit code, or the error that stopped it. */
type Handler = (io: CliIo, raw: unknown) => ResultAsync<number, CliError>;

/** Who is acting when `--by` is not given: the login name. */
function defaultPerson(): string {
  try {
    return process.env.USER || process.env.LOGNAME || userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the person must say who they are.
    return "unknown";
  }
}

function stateDir(command: Command): Command {
  return command.option(
    "--state-dir <dir>",
    "rungate's state: store, clones, PR records, project file",
    DEFAULT_STATE_DIR,
  );
}

/**
 * The `rungate` program: its commands wired to their handlers. Each handler's exit code (or error, printed
 * and mapped by {@link exitCodeOf}) is handed to `done`. Commander's own errors (unknown option, missing
 * argument) are printed by commander and exit {@link EXIT_USAGE}.
 */
export function createProgram(io: CliIo, done: (code: number) => void): Command {
  const handle = (handler: Handler) => async (raw: unknown) => {
    const result = await handler(io, raw);
    done(
      result.match(
        (code) => code,
        (error) => {
          io.err(...describeCliError(error));
          return exitCodeOf(error);
        },
      ),
    );
  };
  const program = new Command("rungate")
    .description(
      "Gate AI coding agents: a card on a local repository, judged by a policy, checked, approved by a person, proposed as a draft PR. rungate never merges.",
    )
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.replace(/\n$/, "")),
      writeErr: (text) => io.err(text.replace(/\n$/, "")),
    })
    .showHelpAfterError("(rungate <command> --help shows its usage)");

  stateDir(
    program
      .command("run")
      .description(
        "build cards on a repository: an agent per card, its changes judged, checks, an approval request",
      )
      .requiredOption("--repo <path>", "the git repository to work on")
      .requiredOption(
        "--card <title>",
        "a card's title (repeat for several cards, each its own run)",
        collect,
      )
      .option("--description <text>", "more of the task, given to the agent with the title")
      .requiredOption("--allow <glob>", "a path the agent may change (repeatable), e.g. 'src/**'", collect)
      .option(
        "--forbid <glob>",
        "a path the agent may not change, on top of the policy's (repeatable)",
        collect,
      )
      .requiredOption("--agent <agent>", 'claude, codex, or a shell command, e.g. "node agent.mjs"')
      .option("--policy <file>", "a SystemPolicyProfile JSON file (default: see docs/cli.md)")
      .option(
        "--check <name=command>",
        "a check and its shell command, e.g. 'unit=npm test' (repeatable)",
        collect,
      )
      .option("--base <branch>", "the branch the cards start from (default: the repository's current branch)")
      .option("--by <person>", "who starts the run", defaultPerson())
      .option(
        "--env-allow <name>",
        "a host variable the agent may see (repeatable; NAME or PREFIX_*)",
        collect,
      )
      .option("--timeout <seconds>", "the longest an agent attempt may run"),
  ).action(handle(runCommand));

  stateDir(
    program
      .command("runs")
      .description("list the stored runs, newest first")
      .addOption(
        new Option("--phase <phase>", "only runs in this phase (repeatable)")
          .choices(RUN_PHASES)
          .argParser(collect),
      )
      .option("--limit <n>", "the most runs to list", "50")
      .option("--json", "print the stored records as JSON"),
  ).action(handle(runsCommand));

  stateDir(
    program
      .command("show")
      .description("a run: its cards, checks, approvals and draft pull requests")
      .argument("<run>", "the run id")
      .option("--json", "print everything stored about the run as JSON"),
  ).action((run: string, options: object) => handle(showCommand)({ ...options, run }));

  stateDir(
    program
      .command("approve")
      .description("decide an approval request; once approved, the card becomes a draft pull request")
      .argument("<approval>", "the approval id `rungate run` printed")
      .option("--by <person>", "who decides", defaultPerson())
      .option("--notes <text>", "why, kept with the decision")
      .option("--reject", "refuse instead of approving"),
  ).action((approval: string, options: object) => handle(approveCommand)({ ...options, approval }));

  stateDir(
    program
      .command("cancel")
      .description("stop a run: its unfinished cards and the run end cancelled")
      .argument("<run>", "the run id")
      .option("--by <person>", "who cancels", defaultPerson()),
  ).action((run: string, options: object) => handle(cancelCommand)({ ...options, run }));

  stateDir(
    program
      .command("explain")
      .description("how a policy judges paths: the verdict and the rule that decided each")
      .argument("<paths...>", "repository paths, as a card would change them")
      .option("--policy <file>", "a SystemPolicyProfile JSON file (default: the policy of the last run here)")
      .option("--allow <glob>", "the card's allowed globs (repeatable; default everything)", collect)
      .option("--forbid <glob>", "the card's extra forbidden globs (repeatable)", collect)
      .option("--json", "print the explanation as JSON"),
  ).action((paths: string[], options: object) => handle(explainCommand)({ ...options, paths }));

  return program;
}

/**
 * Runs the CLI on `argv` (as `process.argv`: node, script, arguments) and answers the exit code: the
 * command's, {@link EXIT_USAGE} for commander's usage errors, 0 for `--help` and `--version`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    throw error;
  }
  return code;
}
