import { z } from "zod";
import { THREAD_ID_PATTERN } from "./codex-names.js";

// The JSONL events `codex exec --experimental-json` prints, as the SDK yields them (parsed, never checked).
// They come from another program: each is checked here, and anything unexpected becomes `other` instead of
// an exception. Fields rungate does not use are dropped.

const Text = z.string().max(10_000_000);

/** Token counts as Codex reports them: the thread's totals so far, not one turn's. */
export const CodexUsage = z.object({
  input_tokens: z.number().int().nonnegative(),
  cached_input_tokens: z.number().int().nonnegative().default(0),
  output_tokens: z.number().int().nonnegative(),
});
/** Parsed {@link CodexUsage}. */
export type CodexUsage = z.infer<typeof CodexUsage>;

const AgentMessageItem = z.object({ type: z.literal("agent_message"), text: Text });
const ReasoningItem = z.object({ type: z.literal("reasoning"), text: Text });
const CommandItem = z.object({
  type: z.literal("command_execution"),
  command: Text,
  aggregated_output: Text.default(""),
  exit_code: z.number().int().nullable().optional(),
  // Codex 0.163 also reports `declined` (a command it refused to run), which the SDK's types leave out.
  status: z.string(),
});
const FileChangeItem = z.object({
  type: z.literal("file_change"),
  changes: z.array(z.object({ path: Text, kind: z.string() })),
  status: z.string(),
});
const McpToolCallItem = z.object({
  type: z.literal("mcp_tool_call"),
  server: Text,
  tool: Text,
  arguments: z.unknown(),
  status: z.string(),
  error: z.object({ message: Text }).nullable().optional(),
});
const WebSearchItem = z.object({ type: z.literal("web_search"), query: Text });
const TodoListItem = z.object({
  type: z.literal("todo_list"),
  items: z.array(z.object({ text: Text, completed: z.boolean() })),
});
const ErrorItem = z.object({ type: z.literal("error"), message: Text });

const Item = z.discriminatedUnion("type", [
  AgentMessageItem,
  ReasoningItem,
  CommandItem,
  FileChangeItem,
  McpToolCallItem,
  WebSearchItem,
  TodoListItem,
  ErrorItem,
]);
/** A thread item rungate reads. */
export type CodexItem = z.infer<typeof Item>;

const Event = z.discriminatedUnion("type", [
  z.object({ type: z.literal("thread.started"), thread_id: z.string().regex(THREAD_ID_PATTERN) }),
  z.object({ type: z.literal("turn.started") }),
  z.object({ type: z.literal("turn.completed"), usage: CodexUsage }),
  z.object({ type: z.literal("turn.failed"), error: z.object({ message: Text }) }),
  z.object({
    type: z.enum(["item.started", "item.updated", "item.completed"]),
    item: Item,
  }),
  z.object({ type: z.literal("error"), message: Text }),
]);

/** One event of a thread-run, checked; `other` for anything rungate does not know or could not read. */
export type CodexEvent = z.infer<typeof Event> | { readonly type: "other"; readonly raw_type: string };

/** Checks one event the SDK yielded. */
export function parseCodexEvent(raw: unknown): CodexEvent {
  const parsed = Event.safeParse(raw);
  if (parsed.success) return parsed.data;
  const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
  return { type: "other", raw_type: typeof type === "string" ? type.slice(0, 100) : "(unreadable)" };
}

/**
 * Whether an `error` event is one of Codex's retry notices ("Reconnecting... 2/5 (…)"): Codex prints them
 * while it retries a request, forever when the network is down, so they do not count as activity.
 */
export function isRetryNotice(message: string): boolean {
  return /^Reconnecting\b/.test(message);
}
