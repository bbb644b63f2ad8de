import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  parseClaudeMessage,
  type ResultMessage,
} from "../../../src/adapters/claude-agent/claude-messages.js";
import { CLAUDE_SDK_PACKAGE, loadClaudeQuery } from "../../../src/adapters/claude-agent/claude-query.js";
import {
  describeSession,
  isNoCredential,
  type SessionReport,
  terminalReasonOf,
} from "../../../src/adapters/claude-agent/claude-result.js";
import { createUsageTally } from "../../../src/adapters/claude-agent/usage-tally.js";
import { createRedactor } from "../../../src/internal/child-process/redact.js";

function result(fields: Record<string, unknown>): ResultMessage {
  const parsed = parseClaudeMessage({
    type: "result",
    subtype: "success",
    is_error: false,
    num_turns: 1,
    total_cost_usd: 0.01,
    permission_denials: [],
    session_id: "s",
    ...fields,
  });
  if (parsed.type !== "result") throw new Error("not a result");
  return parsed;
}

function report(fields: Partial<SessionReport>): SessionReport {
  return {
    session_id: "s",
    result: null,
    stopped_for_tokens: false,
    failure: null,
    usage: null,
    responses: 0,
    last_text: null,
    auth_errors: [],
    denials: [],
    exit_code: null,
    ...fields,
  };
}

describe("terminal reasons from the SDK's result", () => {
  it.each([
    [{ subtype: "success", is_error: false }, "completed"],
    [{ subtype: "error_max_turns", is_error: true }, "max_turns"],
    [{ subtype: "error_max_budget_usd", is_error: true }, "budget"],
    [{ subtype: "error_during_execution", is_error: true }, "error"],
    [{ subtype: "error_during_execution", is_error: true, terminal_reason: "max_turns" }, "max_turns"],
    [{ subtype: "error_max_structured_output_retries", is_error: true }, "error"],
    [{ subtype: "success", is_error: true, result: "API Error: 529 overloaded" }, "error"],
  ])("%j is %s", (fields, reason) => {
    expect(terminalReasonOf(report({ result: result(fields) }))).toBe(reason);
  });

  it("never reads success with is_error as completed; no credential in every shape Claude Code gives it", () => {
    const failed = { subtype: "success", is_error: true };
    // Observed from Claude Code 2.1.337 offline without a key.
    expect(isNoCredential(report({ result: result({ ...failed, api_error: "no_credential" }) }))).toBe(true);
    expect(
      isNoCredential(
        report({ result: result({ ...failed, result: "Invalid API key · Please run /login" }) }),
      ),
    ).toBe(true);
    expect(isNoCredential(report({ result: result({ ...failed, api_error_status: 401 }) }))).toBe(true);
    expect(isNoCredential(report({ result: result(failed), auth_errors: ["authentication_failed"] }))).toBe(
      true,
    );
    expect(isNoCredential(report({ auth_errors: ["auth_status:token expired"] }))).toBe(true);
    expect(isNoCredential(report({ result: result({ ...failed, result: "API Error: 500" }) }))).toBe(false);
    expect(isNoCredential(report({ result: result({ result: "please run /login to see" }) }))).toBe(false);
  });

  it("a session stopped for its tokens is budget, one without a result an error", () => {
    expect(terminalReasonOf(report({ stopped_for_tokens: true }))).toBe("budget");
    expect(terminalReasonOf(report({ failure: "Claude Code process exited with code 1" }))).toBe("error");
  });
});

describe("describeSession", () => {
  const redactor = createRedactor(["sk-secret-value-123"], []);

  it("reads usage from modelUsage (cache reads counted in the input and apart), and redacts", () => {
    const outcome = describeSession(
      report({
        result: result({
          result: "done with sk-secret-value-123",
          modelUsage: {
            a: { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 100, cacheCreationInputTokens: 20 },
            b: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
          },
        }),
      }),
      "unchanged",
      redactor,
    );
    expect(outcome).toMatchObject({
      outcome: "no_changes",
      usage: { input_tokens: 131, output_tokens: 6, cached_input_tokens: 100 },
      final_message: "done with [redacted]",
    });
    expect(outcome.summary).not.toContain("sk-secret");
  });

  it("keeps at most 50 denials, the dispatcher's first, then Claude Code's own not already kept", () => {
    const ours = Array.from({ length: 3 }, (_, i) => ({
      tool: "Write",
      path: `x${i}`,
      reason: "rungate: no",
      tool_use_id: `t${i}`,
    }));
    const sdk = Array.from({ length: 60 }, (_, i) => ({
      tool_name: "Bash",
      tool_use_id: `t${i}`,
      tool_input: { command: "x" },
    }));
    const outcome = describeSession(
      report({ denials: ours, result: result({ permission_denials: sdk }) }),
      "moved",
      redactor,
    );
    expect(outcome.permission_denials).toHaveLength(50);
    expect(outcome.permission_denials?.slice(0, 4).map((d) => d.path)).toEqual(["x0", "x1", "x2", null]);
    expect(outcome.permission_denials?.[3]?.reason).toContain("Claude Code");
  });
});

describe("usage tally", () => {
  it("counts one API response once, however many messages carry it", () => {
    const tally = createUsageTally();
    expect(tally.add("m1", { input_tokens: 10, output_tokens: 1 })).toBe(true);
    expect(tally.add("m1", { input_tokens: 10, output_tokens: 1 })).toBe(false);
    expect(tally.add("m1", { input_tokens: 10, output_tokens: 7 })).toBe(true);
    tally.add("m2", { input_tokens: 5, output_tokens: 2, cache_read_input_tokens: 50 });
    expect(tally.usage()).toEqual({ input_tokens: 65, output_tokens: 9, cached_input_tokens: 50 });
    expect(tally.responses()).toBe(2);
  });
});

describe("loading the SDK", () => {
  it("fails port_failure saying how to install it when it is not installed", async () => {
    const missing = Object.assign(new Error("Cannot find package"), { code: "ERR_MODULE_NOT_FOUND" });
    const loaded = await loadClaudeQuery("claude-agent", () => Promise.reject(missing));
    const error = loaded._unsafeUnwrapErr();
    expect(error.kind).toBe("port_failure");
    expect(error.message).toContain(`npm install ${CLAUDE_SDK_PACKAGE}`);
    expect(error.message).toContain("optional peer");
  });

  it("loads the real SDK's query on demand", async () => {
    const loaded = await loadClaudeQuery("claude-agent");
    expect(typeof loaded._unsafeUnwrap()).toBe("function");
  });

  it("imports the SDK only lazily: every static import of it is type-only", () => {
    const dir = join(import.meta.dirname, "..", "..", "..", "src", "adapters", "claude-agent");
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .split("\n")
          .filter((line) => /^import (?!type ).*from "@anthropic-ai\/claude-agent-sdk"/.test(line))
          .map((line) => `${f}: ${line}`),
      );
    expect(offenders).toEqual([]);
  });
});
