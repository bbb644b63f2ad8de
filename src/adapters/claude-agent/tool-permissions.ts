import type { CanUseTool, HookCallback, PermissionResult } from "@anthropic-ai/claude-agent-sdk";
import type { RecordedDenial } from "./claude-result.js";
import { FILE_WRITE_TOOLS, type PathGuard, type ToolVerdict } from "./path-guard.js";

// Type-only imports of the SDK (erased at build time): the callbacks are checked against its real signatures,
// and nothing of the SDK is loaded with rungate.

/** The two places Claude Code asks the dispatcher about a tool call. */
export interface ToolPermissions {
  /**
   * The PreToolUse hook: Claude Code calls it before every tool call, in every permission mode, before its
   * own rules. A refused call is denied here; any other gets no decision, so the mode and `canUseTool`
   * decide as usual (the hook never says "allow": that would skip Claude Code's own checks).
   */
  readonly preToolUse: HookCallback;
  /**
   * `canUseTool`: called only for the calls the permission mode would ask a person about. Nobody is there:
   * file writes and shell commands are answered by the path guard, anything else is denied.
   */
  readonly canUseTool: CanUseTool;
}

/**
 * The permission callbacks of one session. `onDenial` records each refusal (once per tool call); `touch`
 * tells the inactivity timer that Claude Code is still talking.
 */
export function createToolPermissions(
  guard: PathGuard,
  hooks: { readonly onDenial: (denial: RecordedDenial) => void; readonly touch: () => void },
): ToolPermissions {
  const denied = new Set<string>();
  const refuse = (
    tool: string,
    toolUseId: string | undefined,
    verdict: Extract<ToolVerdict, { allow: false }>,
  ) => {
    if (toolUseId === undefined || !denied.has(toolUseId)) {
      if (toolUseId !== undefined) denied.add(toolUseId);
      hooks.onDenial({ tool, path: verdict.path, reason: verdict.reason, tool_use_id: toolUseId ?? null });
    }
  };
  return {
    async preToolUse(input, toolUseId) {
      hooks.touch();
      if (input.hook_event_name !== "PreToolUse") return {};
      const toolInput =
        typeof input.tool_input === "object" && input.tool_input !== null ? input.tool_input : {};
      const verdict = guard.judge(input.tool_name, toolInput as Record<string, unknown>);
      if (verdict.allow) return {};
      refuse(input.tool_name, toolUseId ?? input.tool_use_id, verdict);
      return {
        hookSpecificOutput: {
          hookEventName: "PreToolUse",
          permissionDecision: "deny",
          permissionDecisionReason: verdict.reason,
        },
      };
    },
    async canUseTool(tool, input, options): Promise<PermissionResult> {
      hooks.touch();
      const judged = FILE_WRITE_TOOLS[tool] !== undefined || tool === "Bash";
      const verdict: ToolVerdict = judged
        ? guard.judge(tool, input)
        : {
            allow: false,
            path: options.blockedPath ?? null,
            reason: `rungate: nobody answers permission prompts in this session; ${tool} needs one${options.decisionReason ? ` (${options.decisionReason})` : ""}`,
          };
      if (verdict.allow) return { behavior: "allow", updatedInput: input, decisionClassification: "config" };
      refuse(tool, options.toolUseID, verdict);
      return { behavior: "deny", message: verdict.reason, decisionClassification: "config" };
    },
  };
}
