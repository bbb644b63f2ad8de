#!/usr/bin/env node
// A stand-in for the `codex` executable, as @openai/codex-sdk 0.163 runs it: `codex exec --experimental-json
// [--config k=v]… [--model m] [--sandbox s] [--cd dir] [--add-dir d]… [--skip-git-repo-check] [resume <id>]`,
// the prompt on stdin, one JSON event per line on stdout. Options it does not know fail like Codex's argument
// parser (exit 2). It records each start (argv, cwd, prompt, what it saw of its environment) as a JSON line in
// $STANDIN_RECORD, and plays the steps of $STANDIN_SCRIPT (the run whose index is the number of earlier starts
// when the script has `runs`). Like Codex, it keeps a session log ("rollout") per thread under $CODEX_HOME
// with a token_count after every `usage` step, reports the thread's totals in turn.completed, and fails
// `resume <id>` of a thread it has no log of. No network, no model: everything it does is scripted.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const cp = require("node:child_process");
const crypto = require("node:crypto");

const env = process.env;
const args = process.argv.slice(2);

function usageError(message) {
  process.stderr.write(`error: ${message}\n\nUsage: codex exec [OPTIONS] [PROMPT]\n`);
  process.exit(2);
}

// --- arguments, as Codex's parser takes them ---
if (args[0] !== "exec") usageError(`unrecognized subcommand '${args[0] ?? ""}'`);
const parsed = { json: false, config: [], add_dirs: [], images: [], skip_git_repo_check: false };
const VALUE_OPTIONS = {
  "--config": "config",
  "-c": "config",
  "--model": "model",
  "-m": "model",
  "--sandbox": "sandbox",
  "-s": "sandbox",
  "--cd": "cd",
  "-C": "cd",
  "--add-dir": "add_dirs",
  "--output-schema": "output_schema",
  "--thread-source": "thread_source",
  "--cyber-access-program": "cyber_access_program",
  "--image": "images",
  "-i": "images",
};
for (let i = 1; i < args.length; i++) {
  const arg = args[i];
  if (arg === "--experimental-json") parsed.json = true;
  else if (arg === "--skip-git-repo-check") parsed.skip_git_repo_check = true;
  else if (arg === "resume") {
    const id = args[++i];
    if (id === undefined || id.startsWith("-")) usageError("resume needs a session id");
    parsed.resume = id;
  } else if (arg in VALUE_OPTIONS) {
    const value = args[++i];
    if (value === undefined || value.startsWith("-")) usageError(`a value is required for '${arg}'`);
    const key = VALUE_OPTIONS[arg];
    if (Array.isArray(parsed[key])) parsed[key].push(value);
    else parsed[key] = value;
  } else usageError(`unexpected argument '${arg}' found`);
}
if (!parsed.json) usageError("this stand-in speaks --experimental-json only");
if (
  parsed.sandbox !== undefined &&
  !["read-only", "workspace-write", "danger-full-access"].includes(parsed.sandbox)
) {
  usageError(`invalid value '${parsed.sandbox}' for '--sandbox <SANDBOX_MODE>'`);
}
/** `-c key=value` as Codex reads it: the value is TOML (here: a JSON-compatible literal, else raw). */
const config = {};
for (const entry of parsed.config) {
  const at = entry.indexOf("=");
  if (at <= 0) usageError(`invalid override '${entry}': expected key=value`);
  const raw = entry.slice(at + 1);
  let value = raw;
  try {
    value = JSON.parse(raw);
  } catch {}
  config[entry.slice(0, at)] = value;
}

const prompt = fs.readFileSync(0, "utf8");
if (parsed.cd !== undefined) process.chdir(parsed.cd);

// --- the script ---
const counterFile = env.STANDIN_RECORD ? `${env.STANDIN_RECORD}.count` : undefined;
const index = counterFile && fs.existsSync(counterFile) ? Number(fs.readFileSync(counterFile, "utf8")) : 0;
if (counterFile) fs.writeFileSync(counterFile, String(index + 1));
const script = env.STANDIN_SCRIPT ? JSON.parse(fs.readFileSync(env.STANDIN_SCRIPT, "utf8")) : {};
const run = script.runs ? (script.runs[Math.min(index, script.runs.length - 1)] ?? {}) : script;
const steps = run.steps ?? [
  { do: "thread_started" },
  { do: "turn_started" },
  { do: "message", text: "Nothing to do." },
  { do: "usage", input: 10, output: 2 },
  { do: "turn_completed" },
];

function record(entry) {
  if (env.STANDIN_RECORD) fs.appendFileSync(env.STANDIN_RECORD, `${JSON.stringify(entry)}\n`);
}
record({
  start: index,
  pid: process.pid,
  argv: args,
  cwd: process.cwd(),
  prompt,
  sandbox: parsed.sandbox ?? null,
  model: parsed.model ?? null,
  add_dirs: parsed.add_dirs,
  skip_git_repo_check: parsed.skip_git_repo_check,
  resume: parsed.resume ?? null,
  config,
  env: {
    parent_secret_seen: env.RUNGATE_TEST_PARENT_SECRET !== undefined,
    codex_api_key: env.CODEX_API_KEY ?? null,
    openai_api_key: env.OPENAI_API_KEY ?? null,
    execution_id: env.RUNGATE_EXECUTION_ID ?? null,
    originator: env.CODEX_INTERNAL_ORIGINATOR_OVERRIDE ?? null,
    names: Object.keys(env).sort(),
  },
});
if (run.ignore_sigterm) process.on("SIGTERM", () => record({ sigterm_ignored: true }));

// --- the thread's session log ---
const codexHome = env.CODEX_HOME || path.join(env.HOME || "/nonexistent", ".codex");
function findRollout(id) {
  const sessions = path.join(codexHome, "sessions");
  const walk = (dir) => {
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) {
        const found = walk(full);
        if (found) return found;
      } else if (name.startsWith("rollout-") && name.endsWith(`-${id}.jsonl`)) return full;
    }
    return null;
  };
  return walk(sessions);
}
const threadId = parsed.resume ?? run.thread_id ?? crypto.randomUUID();
let rollout;
const total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0 };
if (parsed.resume !== undefined) {
  rollout = findRollout(threadId);
  if (!rollout) {
    process.stderr.write(
      `Error: thread/resume: thread/resume failed: no rollout found for thread id ${threadId}\n`,
    );
    process.exit(1);
  }
  for (const line of fs.readFileSync(rollout, "utf8").split("\n")) {
    if (!line.includes("token_count")) continue;
    Object.assign(total, JSON.parse(line).payload.info.total_token_usage);
  }
} else {
  const now = new Date();
  const day = [
    String(now.getUTCFullYear()),
    String(now.getUTCMonth() + 1).padStart(2, "0"),
    String(now.getUTCDate()).padStart(2, "0"),
  ];
  const dir = path.join(codexHome, "sessions", ...day);
  fs.mkdirSync(dir, { recursive: true });
  rollout = path.join(dir, `rollout-${now.toISOString().replace(/[:.]/g, "-")}-${threadId}.jsonl`);
  fs.writeFileSync(
    rollout,
    `${JSON.stringify({ type: "session_meta", payload: { id: threadId, cwd: process.cwd() } })}\n`,
  );
}

// --- playing the steps ---
let items = 0;
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const item = (kind, body) => {
  const id = `item_${items++}`;
  return { id, type: kind, ...body };
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function runCommand(command) {
  const started = item("command_execution", {
    command,
    aggregated_output: "",
    exit_code: null,
    status: "in_progress",
  });
  print({ type: "item.started", item: started });
  const result = cp.spawnSync("/bin/sh", ["-c", command], { encoding: "utf8" });
  const exit_code = result.status ?? 1;
  print({
    type: "item.completed",
    item: {
      ...started,
      aggregated_output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
      exit_code,
      status: exit_code === 0 ? "completed" : "failed",
    },
  });
}

async function play(list) {
  for (const step of list) {
    switch (step.do) {
      case "thread_started":
        print({ type: "thread.started", thread_id: threadId });
        break;
      case "turn_started":
        print({ type: "turn.started" });
        break;
      case "message":
        print({ type: "item.completed", item: item("agent_message", { text: step.text }) });
        break;
      case "reasoning":
        print({ type: "item.completed", item: item("reasoning", { text: step.text }) });
        break;
      case "command":
        runCommand(step.command);
        break;
      case "commit": {
        const file = `src/codex-${crypto.randomUUID().slice(0, 8)}.txt`;
        print({
          type: "item.completed",
          item: item("file_change", {
            changes: [{ path: path.resolve(file), kind: "add" }],
            status: "completed",
          }),
        });
        fs.mkdirSync("src", { recursive: true });
        fs.writeFileSync(file, "work of the stand-in\n");
        runCommand(`git add -A && git commit -q -m ${JSON.stringify(step.message ?? "stand-in work")}`);
        break;
      }
      case "file_change":
        print({
          type: "item.completed",
          item: item("file_change", { changes: step.changes, status: step.status ?? "completed" }),
        });
        break;
      case "mcp":
        print({
          type: "item.completed",
          item: item("mcp_tool_call", {
            server: step.server,
            tool: step.tool,
            arguments: step.arguments ?? {},
            status: "completed",
          }),
        });
        break;
      case "usage": {
        const last = {
          input_tokens: step.input ?? 0,
          cached_input_tokens: step.cached ?? 0,
          output_tokens: step.output ?? 0,
        };
        total.input_tokens += last.input_tokens;
        total.cached_input_tokens += last.cached_input_tokens;
        total.output_tokens += last.output_tokens;
        const line = {
          type: "event_msg",
          payload: { type: "token_count", info: { total_token_usage: { ...total }, last_token_usage: last } },
        };
        fs.appendFileSync(rollout, `${JSON.stringify(line)}\n`);
        break;
      }
      case "turn_completed":
        print({
          type: "turn.completed",
          usage: { ...total, cache_write_input_tokens: 0, reasoning_output_tokens: 0 },
        });
        break;
      case "turn_failed":
        print({ type: "turn.failed", error: { message: step.message } });
        break;
      case "error":
        print({ type: "error", message: step.message });
        break;
      case "error_item":
        print({ type: "item.completed", item: item("error", { message: step.message }) });
        break;
      case "raw":
        print(step.event);
        break;
      case "sleep":
        await sleep(step.ms);
        break;
      case "hang":
        await new Promise(() => setInterval(() => {}, 1000));
        break;
      case "mark":
        record({ mark: step.name });
        break;
      case "exit":
        if (step.stderr) process.stderr.write(step.stderr);
        process.exit(step.code);
        break;
      case "loop":
        for (let n = 0; step.times === undefined || n < step.times; n++) await play(step.steps);
        break;
      default:
        usageError(`stand-in script: unknown step ${JSON.stringify(step)}`);
    }
  }
}

play(steps).then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`stand-in failed: ${error.stack}\n`);
    process.exit(3);
  },
);
