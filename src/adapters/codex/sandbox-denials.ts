import { isAbsolute, relative, resolve } from "node:path";
import type { AgentPermissionDenial } from "../../core/schemas/agent-execution.js";
import type { CodexItem } from "./codex-events.js";

// Codex runs with `approvalPolicy: "never"`: nothing is asked, and its sandbox refuses what it does not allow.
// Codex does not say "refused by the sandbox" in its events; these are the signs of it that can be told
// apart from an ordinary failure, and only those are recorded (a heuristic, see docs/adapters/codex.md).

/** What the sandbox's refusal looks like in a command's output: bubblewrap (Linux), Seatbelt (macOS). */
const REFUSAL = /^.*(?:Read-only file system|Operation not permitted).*$/m;
/** The path a refusal line quotes (`touch: cannot touch '/x': Read-only file system`). */
const QUOTED_PATH = /['"‘]([^'"’\n]+)['"’]: (?:Read-only file system|Operation not permitted)/;

/** Whether `path` lies inside one of `roots`. */
function insideAny(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const rel = relative(root, path);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  });
}

/**
 * The refusals a finished item shows: a command Codex declined, a command whose output says a write was
 * refused, a file change outside the writable directories (`writable`: the worktree, the git dir, the
 * temporary directories) that failed. Values are raw: the caller redacts and bounds them.
 */
export function denialsOf(
  item: CodexItem,
  worktree: string,
  writable: readonly string[],
): AgentPermissionDenial[] {
  if (item.type === "command_execution") {
    if (item.status === "declined") {
      return [{ tool: "command_execution", path: null, reason: `Codex declined to run: ${item.command}` }];
    }
    const line = item.status === "failed" ? REFUSAL.exec(item.aggregated_output)?.[0] : undefined;
    if (line === undefined) return [];
    return [
      {
        tool: "command_execution",
        path: QUOTED_PATH.exec(line)?.[1] ?? null,
        reason: `the sandbox refused a write of \`${item.command}\`: ${line.trim()}`,
      },
    ];
  }
  if (item.type === "file_change" && item.status === "failed") {
    return item.changes
      .map((change) => resolve(worktree, change.path))
      .filter((path) => !insideAny(path, writable))
      .map((path) => ({
        tool: "apply_patch",
        path,
        reason: "a file change outside the sandbox's writable directories failed",
      }));
  }
  return [];
}
