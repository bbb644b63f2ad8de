import type { Redactor } from "../../internal/child-process/redact.js";
import type { AgentDispatchOptions, AgentProgressItem } from "../../ports/agent-dispatcher.js";
import type { ProgressDraft } from "./codex-progress.js";

/** `line` cut to `cap` characters, marked `…` when cut. */
function truncate(line: string, cap: number): string {
  return line.length <= cap ? line : `${line.slice(0, cap - 1)}…`;
}

/** A progress item with every text redacted and cut to `cap` characters. */
function redactItem(item: AgentProgressItem, redactor: Redactor, cap: number): AgentProgressItem {
  const clean = (text: string) => truncate(redactor.redact(text), cap);
  switch (item.kind) {
    case "message":
      return { kind: "message", text: clean(item.text) };
    case "tool_call":
      return { kind: "tool_call", tool: clean(item.tool), input: clean(item.input) };
    case "file_edit":
      return { kind: "file_edit", path: clean(item.path), change: item.change };
    case "command":
      return { kind: "command", command: clean(item.command), exit_code: item.exit_code };
    case "usage":
      return item;
  }
}

/**
 * The dispatch's way to report progress: each draft redacted, cut to `cap` characters (its item's texts too),
 * with the execution id, handed to the call's `onProgress`; a listener that throws is ignored.
 */
export function progressEmitter(
  call: AgentDispatchOptions,
  execution_id: string,
  redactor: Redactor,
  cap: number,
): (draft: ProgressDraft) => void {
  return (draft) => {
    try {
      call.onProgress?.({
        execution_id,
        message: truncate(redactor.redact(draft.message), cap),
        ...(draft.item === undefined ? {} : { item: redactItem(draft.item, redactor, cap) }),
      });
    } catch {
      // A listener's failure must not break the run.
    }
  };
}
