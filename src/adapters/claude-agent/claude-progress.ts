import { relative, resolve, sep } from "node:path";
import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentProgress, AgentProgressItem } from "../../ports/agent-dispatcher.js";
import type { ClaudeMessage } from "./claude-messages.js";
import { FILE_WRITE_TOOLS } from "./path-guard.js";

/** Longest progress line, in characters (longer ones are cut, marked `…`). */
export const PROGRESS_LINE_CAP = 2_000;
/** Longest tool input summary in a `tool_call` item. */
export const TOOL_INPUT_CAP = 500;
/** Longest text of a `message` item. */
export const MESSAGE_TEXT_CAP = 8_000;

/** One line of progress before redaction. */
export interface ProgressEntry {
  readonly message: string;
  readonly item?: AgentProgressItem;
}

/** `text` cut to `cap` characters, marked `…` when cut. */
export function cap(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ⏎ ").trim();

/** A tool's input in a few hundred characters: the file and sizes of an edit, the command of a shell call. */
export function summariseInput(tool: string, input: Readonly<Record<string, unknown>>): string {
  const size = (v: unknown) => (typeof v === "string" ? `<${v.length} chars>` : v);
  const shown =
    tool === "Write" || tool === "Edit" || tool === "MultiEdit" || tool === "NotebookEdit"
      ? Object.fromEntries(Object.entries(input).map(([k, v]) => [k, k.endsWith("path") ? v : size(v)]))
      : input;
  return cap(
    tool === "Bash" && typeof input.command === "string" ? input.command : JSON.stringify(shown),
    TOOL_INPUT_CAP,
  );
}

/** Turns the SDK's messages into progress entries, keeping the tool calls it has seen until their results. */
export interface ProgressReader {
  read(message: ClaudeMessage): ProgressEntry[];
}

/** A {@link ProgressReader} for a session in `worktree` (file paths are shown relative to it). */
export function createProgressReader(worktree: string): ProgressReader {
  const calls = new Map<string, { tool: string; input: Readonly<Record<string, unknown>> }>();
  const shownPath = (path: unknown): string => {
    const text = typeof path === "string" ? path : "(no path)";
    const rel = relative(worktree, resolve(worktree, text));
    return rel.startsWith("..") || rel === "" ? text : rel.split(sep).join("/");
  };
  return {
    read(message) {
      switch (message.type) {
        case "system":
          return [
            {
              message: `claude: session ${message.session_id} started (Claude Code ${message.claude_code_version ?? "?"}, model ${message.model ?? "?"}, permission mode ${message.permissionMode ?? "?"})`,
            },
          ];
        case "assistant":
          return message.message.content.flatMap((block): ProgressEntry[] => {
            if (block.type === "text" && "text" in block && typeof block.text === "string") {
              if (block.text.trim() === "") return [];
              return [
                {
                  message: `claude: ${block.text}`,
                  item: { kind: "message", text: cap(block.text, MESSAGE_TEXT_CAP) },
                },
              ];
            }
            if (block.type === "tool_use" && "name" in block && "id" in block) {
              const input = (block.input ?? {}) as Readonly<Record<string, unknown>>;
              calls.set(String(block.id), { tool: String(block.name), input });
              const summary = summariseInput(String(block.name), input);
              return [
                {
                  message: `claude: ${block.name} ${summary}`,
                  item: { kind: "tool_call", tool: String(block.name), input: summary },
                },
              ];
            }
            return [];
          });
        case "user":
          return (Array.isArray(message.message.content) ? message.message.content : []).flatMap(
            (block): ProgressEntry[] => {
              if (block.type !== "tool_result" || !("tool_use_id" in block)) return [];
              const call = calls.get(String(block.tool_use_id));
              calls.delete(String(block.tool_use_id));
              if (call === undefined || block.is_error === true) return [];
              const field = FILE_WRITE_TOOLS[call.tool];
              if (field !== undefined) {
                const path = shownPath(call.input[field]);
                const created =
                  (message.tool_use_result as { type?: unknown } | undefined)?.type === "create";
                const change =
                  created || (call.tool === "Write" && message.tool_use_result === undefined)
                    ? "add"
                    : "update";
                return [
                  {
                    message: `claude: ${change === "add" ? "added" : "updated"} ${path}`,
                    item: { kind: "file_edit", path, change },
                  },
                ];
              }
              if (call.tool === "Bash" && typeof call.input.command === "string") {
                const command = cap(call.input.command, TOOL_INPUT_CAP);
                // Claude Code's Bash result carries no exit code.
                return [
                  { message: `claude: ran ${command}`, item: { kind: "command", command, exit_code: null } },
                ];
              }
              return [];
            },
          );
        default:
          return [];
      }
    },
  };
}

/** Hands progress to the caller: one line, redacted and capped; an item's texts redacted too. */
export function createProgressEmitter(
  execution_id: string,
  redactor: Redactor,
  onProgress: ((progress: AgentProgress) => void) | undefined,
): (entry: ProgressEntry) => void {
  const clean = (text: string, limit: number) => cap(redactor.redact(text), limit);
  const cleanItem = (item: AgentProgressItem): AgentProgressItem => {
    switch (item.kind) {
      case "message":
        return { kind: "message", text: clean(item.text, MESSAGE_TEXT_CAP) };
      case "tool_call":
        return { kind: "tool_call", tool: clean(item.tool, 200), input: clean(item.input, TOOL_INPUT_CAP) };
      case "file_edit":
        return { ...item, path: clean(item.path, 4_096) };
      case "command":
        return { ...item, command: clean(item.command, TOOL_INPUT_CAP) };
      case "usage":
        return item;
    }
  };
  return (entry) => {
    if (onProgress === undefined) return;
    try {
      onProgress({
        execution_id,
        message: clean(oneLine(entry.message), PROGRESS_LINE_CAP),
        ...(entry.item === undefined ? {} : { item: cleanItem(entry.item) }),
      });
    } catch {
      // A listener's failure must not break the run.
    }
  };
}
