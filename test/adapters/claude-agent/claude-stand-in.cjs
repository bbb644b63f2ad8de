#!/usr/bin/env node
// A stand-in for the Claude Code executable, for tests without network or key. It speaks what the Agent SDK
// speaks with the real one over stdin/stdout (stream-json): it answers the `initialize` control request,
// takes the user message, reports `system/init`, then plays a script of turns (assistant messages with
// usage), asks the SDK before each tool call (a `hook_callback` per PreToolUse hook registered at
// initialize, then `can_use_tool` where the permission mode would ask a person), runs the tools it is allowed
// to (Write, Edit, Bash) in its working directory, and ends with a `result` message. It keeps the limits the
// SDK passes (`--max-turns`, `--max-budget-usd`) the way the CLI does.
//
// Everything is read from `$STANDIN_DIR`: the script is `scripts/<session id>.resume.json` (a `--resume`
// without `--fork-session`), else `scripts/<session id>.json`, else `script.json`; every start appends one
// JSON line to `runs.jsonl` (its argv, session, whether it saw RUNGATE_TEST_PARENT_SECRET, its pid).
//
// Script: { "steps": [step...], "result": "final text", "usage_per_turn": {...}, "cost_per_turn": 0.01,
// "turn_ms": 0 (a pause before each turn, as a model takes), "linger": false (stay alive after the result,
// stdin closed or not) }. Steps: { "say": "text" },
// { "repeat": n, "say": "text" }, { "tool": "Write"|"Edit"|"Bash", "input": {...} }, { "no_credential": true }
// (what Claude Code 2.1 answers without a key, observed offline; it then exits 1), { "hang": true },
// { "exit": code } (a crash mid-session). `{env:NAME}` in a text is replaced by that variable's value. Each
// session's prompt is appended to `prompts.jsonl`.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const crypto = require("node:crypto");
const readline = require("node:readline");

const args = process.argv.slice(2);
/** `--name=value` (how the SDK passes values) or `--name value`; `true` for a bare flag. */
function flag(name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`${name}=`)) return args[i].slice(name.length + 1);
    if (args[i] === name)
      return args[i + 1] === undefined || args[i + 1].startsWith("--") ? true : args[i + 1];
  }
  return undefined;
}
const dir = process.env.STANDIN_DIR;
const resumed = flag("--resume");
const forked = flag("--fork-session") === true;
const sessionId = flag("--session-id") ?? resumed ?? crypto.randomUUID();
const maxTurns = Number(flag("--max-turns") ?? Number.POSITIVE_INFINITY);
const maxBudget = Number(flag("--max-budget-usd") ?? Number.POSITIVE_INFINITY);
const permissionMode = flag("--permission-mode") ?? "default";
const asksHost = flag("--permission-prompt-tool") === "stdio";
const toolsFlag = flag("--tools");
const tools =
  typeof toolsFlag === "string" ? toolsFlag.split(",").filter(Boolean) : ["Read", "Write", "Edit", "Bash"];
const disallowed = String(flag("--disallowedTools") ?? "")
  .split(",")
  .filter(Boolean);
const model = typeof flag("--model") === "string" ? flag("--model") : "claude-stand-in";

if (dir) {
  const run = {
    pid: process.pid,
    session_id: sessionId,
    resume: resumed ?? null,
    fork: forked,
    argv: args,
    cwd: process.cwd(),
    parent_secret: process.env.RUNGATE_TEST_PARENT_SECRET ?? null,
    env_names: Object.keys(process.env).sort(),
  };
  fs.appendFileSync(path.join(dir, "runs.jsonl"), `${JSON.stringify(run)}\n`);
}

function loadScript() {
  const candidates = [
    resumed && !forked ? path.join(dir ?? "", "scripts", `${sessionId}.resume.json`) : null,
    path.join(dir ?? "", "scripts", `${sessionId}.json`),
    path.join(dir ?? "", "script.json"),
  ];
  for (const file of candidates)
    if (dir && file && fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8"));
  return { steps: [{ say: "Nothing to do." }], result: "Nothing to do." };
}

const send = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const uuid = () => crypto.randomUUID();
const expand = (text) =>
  String(text).replace(/\{env:([A-Za-z0-9_]+)\}/g, (_, name) => process.env[name] ?? "");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Lines from the SDK: control requests to answer, answers to our own requests, and the user's message.
const pending = new Map();
let onUserMessage = () => {};
let initialize = null;
let stdinOpen = true;
let hanging = false;
let exitCode = 0;
readline
  .createInterface({ input: process.stdin })
  .on("line", (line) => {
    if (line.trim() === "") return;
    const message = JSON.parse(line);
    if (message.type === "control_request" && message.request.subtype === "initialize") {
      initialize = message.request;
      send({
        type: "control_response",
        response: {
          subtype: "success",
          request_id: message.request_id,
          response: {
            commands: [],
            agents: [],
            output_style: "default",
            available_output_styles: [],
            models: [],
            account: {},
            hooks_applied: true,
            hook_on_failure_supported: true,
            claude_code_version: "0.0.0-stand-in",
          },
        },
      });
    } else if (message.type === "control_request") {
      send({
        type: "control_response",
        response: { subtype: "success", request_id: message.request_id, response: {} },
      });
    } else if (message.type === "control_response") {
      pending.get(message.response.request_id)?.(message.response);
      pending.delete(message.response.request_id);
    } else if (message.type === "user") {
      onUserMessage(message);
    }
  })
  .on("close", () => {
    stdinOpen = false;
    if (!hanging) process.exit(exitCode);
  });

/** Sends a control request to the SDK and waits for its answer. */
function ask(request) {
  const request_id = uuid();
  return new Promise((resolve) => {
    pending.set(request_id, resolve);
    send({ type: "control_request", request_id, request });
  });
}

const totals = { input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cost: 0, turns: 0 };
const denials = [];

function assistant(content, usage, extra = {}) {
  totals.turns += 1;
  totals.input_tokens += usage.input_tokens ?? 0;
  totals.output_tokens += usage.output_tokens ?? 0;
  totals.cache_read_input_tokens += usage.cache_read_input_tokens ?? 0;
  send({
    type: "assistant",
    message: {
      id: `msg_${uuid()}`,
      type: "message",
      role: "assistant",
      model,
      content,
      stop_reason: null,
      usage: { cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ...usage },
    },
    parent_tool_use_id: null,
    uuid: uuid(),
    session_id: sessionId,
    ...extra,
  });
}

function result(subtype, fields = {}) {
  send({
    type: "result",
    subtype,
    is_error: subtype !== "success",
    duration_ms: 1,
    duration_api_ms: 1,
    num_turns: totals.turns,
    stop_reason: null,
    total_cost_usd: totals.cost,
    usage: {
      input_tokens: totals.input_tokens,
      output_tokens: totals.output_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: totals.cache_read_input_tokens,
    },
    modelUsage: {
      [model]: {
        inputTokens: totals.input_tokens,
        outputTokens: totals.output_tokens,
        cacheReadInputTokens: totals.cache_read_input_tokens,
        cacheCreationInputTokens: 0,
        webSearchRequests: 0,
        costUSD: totals.cost,
        contextWindow: 200000,
        maxOutputTokens: 32000,
      },
    },
    permission_denials: denials,
    errors: subtype === "success" ? undefined : [],
    uuid: uuid(),
    session_id: sessionId,
    ...fields,
  });
}

/** What the permission mode does with a tool call nobody pre-approved: run it, ask the host, or deny it. */
function modeDecision(tool) {
  const writes = ["Write", "Edit", "MultiEdit", "NotebookEdit"].includes(tool);
  if (permissionMode === "bypassPermissions" || !(writes || tool === "Bash")) return "allow";
  if (permissionMode === "acceptEdits" && writes) return "allow";
  return permissionMode === "dontAsk" ? "deny" : "ask";
}

/** The PreToolUse hooks, then the permission mode and the host's canUseTool: why the call is denied, or null. */
async function permission(tool, input, tool_use_id) {
  for (const matcher of initialize?.hooks?.PreToolUse ?? []) {
    if (matcher.matcher && !new RegExp(`^(${matcher.matcher})$`).test(tool)) continue;
    for (const callback_id of matcher.hookCallbackIds) {
      const hook_input = {
        hook_event_name: "PreToolUse",
        session_id: sessionId,
        transcript_path: "",
        cwd: process.cwd(),
        permission_mode: permissionMode,
        tool_name: tool,
        tool_input: input,
        tool_use_id,
      };
      const answer = await ask({ subtype: "hook_callback", callback_id, input: hook_input, tool_use_id });
      const output = answer.response?.hookSpecificOutput;
      if (answer.subtype !== "success") return `hook failed: ${answer.error}`;
      if (output?.permissionDecision === "deny") return output.permissionDecisionReason ?? "denied by a hook";
    }
  }
  const decision = modeDecision(tool);
  if (decision === "allow") return null;
  if (decision === "deny" || !asksHost) return `${tool} needs a permission nobody can give`;
  const answer = await ask({
    subtype: "can_use_tool",
    tool_name: tool,
    input,
    tool_use_id,
    permission_suggestions: [],
  });
  if (answer.subtype !== "success") return `canUseTool failed: ${answer.error}`;
  return answer.response.behavior === "allow" ? null : (answer.response.message ?? "denied");
}

function runTool(tool, input) {
  if (tool === "Write") {
    const existed = fs.existsSync(input.file_path);
    fs.mkdirSync(path.dirname(path.resolve(input.file_path)), { recursive: true });
    fs.writeFileSync(input.file_path, input.content ?? "");
    const output = { type: existed ? "update" : "create", filePath: input.file_path };
    return { text: `File written: ${input.file_path}`, output };
  }
  if (tool === "Edit") {
    const text = fs.readFileSync(input.file_path, "utf8");
    fs.writeFileSync(input.file_path, text.replace(input.old_string, input.new_string));
    return { text: `The file ${input.file_path} has been updated.` };
  }
  if (tool === "Bash") {
    return { text: cp.execSync(input.command, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }) };
  }
  return { text: "ok" };
}

async function toolTurn(step, usage) {
  const tool_use_id = `toolu_${uuid()}`;
  assistant([{ type: "tool_use", id: tool_use_id, name: step.tool, input: step.input }], usage);
  let content;
  let output;
  let is_error = false;
  if (!tools.includes(step.tool) || disallowed.includes(step.tool)) {
    content = `No such tool available: ${step.tool}`;
    is_error = true;
  } else {
    const denied = await permission(step.tool, step.input, tool_use_id);
    if (denied !== null) {
      denials.push({ tool_name: step.tool, tool_use_id, tool_input: step.input });
      content = denied;
      is_error = true;
    } else {
      try {
        ({ text: content, output } = runTool(step.tool, step.input));
      } catch (error) {
        content = String(error.message);
        is_error = true;
      }
    }
  }
  send({
    type: "user",
    message: { role: "user", content: [{ type: "tool_result", tool_use_id, content, is_error }] },
    parent_tool_use_id: null,
    tool_use_result: output,
    uuid: uuid(),
    session_id: sessionId,
  });
}

async function play(script) {
  const usage = script.usage_per_turn ?? { input_tokens: 100, output_tokens: 20 };
  const turns = script.steps.flatMap((step) => Array.from({ length: step.repeat ?? 1 }, () => step));
  send({
    type: "system",
    subtype: "init",
    apiKeySource: "none",
    claude_code_version: "0.0.0-stand-in",
    cwd: process.cwd(),
    tools,
    mcp_servers: [],
    model,
    permissionMode,
    slash_commands: [],
    output_style: "default",
    skills: [],
    plugins: [],
    uuid: uuid(),
    session_id: sessionId,
  });
  for (const step of turns) {
    if (step.exit !== undefined) process.exit(step.exit);
    if (step.hang) {
      hanging = true;
      setInterval(() => {}, 60_000);
      return;
    }
    if (step.no_credential) {
      const text = "Not logged in · Please run /login";
      exitCode = 1;
      const auth = { error: "authentication_failed", api_error: "no_credential" };
      assistant([{ type: "text", text }], { input_tokens: 0, output_tokens: 0 }, auth);
      const fields = { is_error: true, result: text, api_error_status: null, api_error: "no_credential" };
      return result("success", { ...fields, terminal_reason: "api_error" });
    }
    if (totals.turns >= maxTurns) return result("error_max_turns", { terminal_reason: "max_turns" });
    await sleep(script.turn_ms ?? 0);
    if (step.tool) await toolTurn(step, usage);
    else assistant([{ type: "text", text: expand(step.say) }], usage);
    totals.cost += script.cost_per_turn ?? 0.001;
    if (totals.cost > maxBudget)
      return result("error_max_budget_usd", { terminal_reason: "budget_exhausted" });
  }
  result("success", {
    result: expand(script.result ?? "Done."),
    terminal_reason: "completed",
    stop_reason: "end_turn",
  });
  if (script.linger) {
    hanging = true;
    setInterval(() => {}, 60_000);
  }
}

onUserMessage = (message) => {
  onUserMessage = () => {};
  const prompt = message.message.content.map((block) => block.text ?? "").join("");
  if (dir)
    fs.appendFileSync(
      path.join(dir, "prompts.jsonl"),
      `${JSON.stringify({ session_id: sessionId, prompt })}\n`,
    );
  play(loadScript()).then(
    () => {
      if (!stdinOpen && !hanging) process.exit(exitCode);
    },
    (error) => {
      process.stderr.write(`stand-in failed: ${error.stack}\n`);
      process.exit(70);
    },
  );
};
