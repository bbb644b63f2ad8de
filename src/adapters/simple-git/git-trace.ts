/**
 * Making a silent git command print something, so that simple-git does not wait for it.
 *
 * simple-git's completion detection (`completionDetectionPlugin`, simple-git 3) waits an extra 50 ms after any
 * process that wrote nothing on stdout or stderr, whatever the options. Some commands the adapter runs print
 * nothing when they succeed (`remote add`, `update-ref`, `worktree remove`, `worktree prune`), which cost
 * 50 ms each. For those, the runner sets `GIT_TRACE=1` (git(1), "Debugging": general trace messages,
 * printed on stderr when the variable is `1`): git then writes one `trace: built-in: git <args>` line on
 * stderr as the command starts, which lifts the wait and changes nothing else. The trace lines are removed
 * from stderr before anyone reads it, so error mapping and error messages see exactly what git reported.
 */

/**
 * The environment that makes a command trace itself on stderr: `GIT_TRACE=1`, unless the environment already
 * sets `GIT_TRACE` (an operator debugging with a trace file keeps it; the command then pays simple-git's wait).
 */
export function traceEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const configured = env.GIT_TRACE;
  return configured === undefined || configured === "" ? { GIT_TRACE: "1" } : {};
}

/**
 * A trace line as git 2.x writes it: `HH:MM:SS.uuuuuu <file>:<line> <padding>trace: …`, or `trace: …` alone
 * when `GIT_TRACE_BARE` is set. git's own messages start with `fatal:`, `error:`, `warning:`, `hint:` or
 * plain text, never with a timestamp followed by `trace:`. The adapter traces only commands whose arguments
 * hold no newline, so each trace message is one line.
 */
const TRACE_LINE = /^(?:\d{2}:\d{2}:\d{2}\.\d+ [^\s:]+:\d+ +)?trace: .*(?:\n|$)/gm;

/** `stderr` without the lines {@link traceEnv} made git write. */
export function stripTraceLines(stderr: string): string {
  return stderr.replace(TRACE_LINE, "");
}
