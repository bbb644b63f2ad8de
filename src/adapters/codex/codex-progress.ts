import { isAbsolute, relative } from "node:path";
import type { AgentProgressItem } from "../../ports/agent-dispatcher.js";
import type { CodexEvent, CodexItem } from "./codex-events.js";

/** A progress line before redaction: one sentence, and the typed item when there is one. */
export interface ProgressDraft {
  readonly message: string;
  readonly item?: AgentProgressItem;
}

/** The first line of `text`, for one-line messages. */
function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length < text.trimEnd().length ? `${line} …` : line;
}

/** Codex's change kinds as the port names them (Codex 0.163 uses the same three words). */
function changeOf(kind: string): "add" | "update" | "delete" {
  return kind === "add" || kind === "delete" ? kind : "update";
}

/** A path Codex reported, relative to the worktree when inside it. */
function shownPath(path: string, worktree: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(worktree, path);
  return inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
}

/** What a finished item reports. */
function completedItem(item: CodexItem, worktree: string): ProgressDraft[] {
  switch (item.type) {
    case "agent_message":
      return [{ message: `codex: ${firstLine(item.text)}`, item: { kind: "message", text: item.text } }];
    case "reasoning":
      return [{ message: `codex (reasoning): ${firstLine(item.text)}` }];
    case "command_execution": {
      const exit_code = item.exit_code ?? null;
      return [
        {
          message: `codex ran ${firstLine(item.command)}: ${item.status}${exit_code === null ? "" : ` (exit ${exit_code})`}`,
          item: { kind: "command", command: item.command, exit_code },
        },
      ];
    }
    case "file_change":
      return item.changes.map((change) => {
        const path = shownPath(change.path, worktree);
        const kind = changeOf(change.kind);
        return {
          message: `codex ${kind === "add" ? "added" : kind === "delete" ? "deleted" : "updated"} ${path}${item.status === "completed" ? "" : ` (${item.status})`}`,
          item: { kind: "file_edit", path, change: kind },
        };
      });
    case "mcp_tool_call": {
      const tool = `${item.server}.${item.tool}`;
      const input = JSON.stringify(item.arguments ?? null) ?? "null";
      return [
        {
          message: `codex called ${tool}: ${item.status}${item.error ? ` (${firstLine(item.error.message)})` : ""}`,
          item: { kind: "tool_call", tool, input },
        },
      ];
    }
    case "web_search":
      return [{ message: `codex searched the web: ${firstLine(item.query)}` }];
    case "todo_list": {
      const done = item.items.filter((step) => step.completed).length;
      return [{ message: `codex's plan: ${done} of ${item.items.length} steps done` }];
    }
    case "error":
      return [{ message: `codex reported: ${firstLine(item.message)}` }];
  }
}

/**
 * The progress lines of one event (usage lines aside: the dispatcher writes those with the attempt's usage).
 * Typed items come from finished items only, so that a command is reported once, with its exit code.
 */
export function progressOf(event: CodexEvent, worktree: string): ProgressDraft[] {
  switch (event.type) {
    case "thread.started":
      return [{ message: `codex: thread ${event.thread_id} started` }];
    case "turn.started":
      return [{ message: "codex: turn started" }];
    case "turn.failed":
      return [{ message: `codex: turn failed: ${firstLine(event.error.message)}` }];
    case "error":
      return [{ message: `codex reported: ${firstLine(event.message)}` }];
    case "item.started":
      return event.item.type === "command_execution"
        ? [{ message: `codex runs ${firstLine(event.item.command)}` }]
        : [];
    case "item.completed":
      return completedItem(event.item, worktree);
    case "item.updated":
    case "turn.completed":
    case "other":
      return [];
  }
}
