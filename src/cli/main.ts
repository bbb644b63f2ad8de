/**
 * The `rungate` executable (bundled to `dist/cli.js`): runs the CLI on the process's arguments and exits with
 * its code. See docs/cli.md.
 *
 * @packageDocumentation
 */
import { processIo } from "./io.js";
import { runCli } from "./program.js";

const flushed = (stream: NodeJS.WriteStream) =>
  new Promise<void>((resolve) => stream.write("", () => resolve()));

try {
  const code = await runCli(process.argv, processIo());
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  // Exit at once: a stray handle of a library (a timer, a child's pipe) must not keep a finished command alive.
  process.exit(code);
} catch (error) {
  // A bug, not a user's mistake: one line, no stack, and the exit code of a failure.
  process.stderr.write(`rungate: internal error: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
}
