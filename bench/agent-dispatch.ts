/**
 * What a dispatcher adds to one dispatch over running its agent directly, as a plain script:
 * `npx tsx bench/agent-dispatch.ts`. One run, variants interleaved (machines are noisy: read the ratios), every
 * sample on a fresh repository and linked worktree made like the tests make them
 * (test/adapters/process-dispatch/dispatch-fixture.ts), the agent writing one file and committing it:
 *
 * - claude: the stand-in Claude Code executable (test/adapters/claude-agent/claude-stand-in.cjs) playing
 *   `commitScript`, driven directly by a minimal stream-json client here (the argv the Agent SDK passes,
 *   `initialize`, the user message, `can_use_tool` answered "allow", stdin closed at `result`), against the same
 *   through `createClaudeDispatcher` (the real Agent SDK, configured like the tests' `standInDispatcher`);
 * - codex: the stand-in `codex` (test/adapters/codex/stand-in-codex.cjs) playing `COMMITTING_TURN`, run
 *   directly with the argv @openai/codex-sdk passes and the prompt on stdin, against the same through
 *   `createCodexDispatcher` (the real Codex SDK, configured like the tests' `standInCodex`);
 * - command (reference): a node one-liner that writes a file and commits, run with execa, against the same
 *   through `createCommandDispatcher`.
 *
 * Both agent SDKs are imported before timing (their first import is reported on its own), and one untimed
 * round warms everything up. Median ms per dispatch. Everything is local: temp directories, no network, no key.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { execa } from "execa";
import { createCommandDispatcher } from "../src/adapters/process-dispatch/index.js";
import type { AgentDispatcher, AgentDispatchRequest } from "../src/ports/agent-dispatcher.js";
import {
  commitScript,
  installStandIn,
  standInDispatcher,
} from "../test/adapters/claude-agent/claude-fixture.js";
import { COMMITTING_TURN, installCodexStandIn, standInCodex } from "../test/adapters/codex/codex-fixture.js";
import {
  dispatchRequest,
  git,
  makeRepo,
  removeTempDirs,
  tempDir,
} from "../test/adapters/process-dispatch/dispatch-fixture.js";

const ROUNDS = 30;

/** A fresh repository with one linked worktree on a new feature branch, and a request for it. */
interface Fresh {
  readonly clone: string;
  readonly worktree: string;
  readonly request: AgentDispatchRequest;
}

async function fresh(): Promise<Fresh> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  const worktree = await repo.worktree(branch);
  return { clone: repo.clone, worktree, request: dispatchRequest(worktree, branch) };
}

/** The least of an environment the stand-ins need (each direct run gets nothing else of this process's). */
const BASE_ENV = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/nonexistent",
  LANG: process.env.LANG ?? "C.UTF-8",
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

// --- claude: the stand-in driven directly ---

/** What @anthropic-ai/claude-agent-sdk passes Claude Code for the dispatcher's options (read off the stand-in). */
const CLAUDE_ARGS = [
  "--output-format",
  "stream-json",
  "--verbose",
  "--input-format",
  "stream-json",
  "--permission-prompt-tool=stdio",
  "--disallowedTools=WebFetch,WebSearch",
  "--tools=Read,Edit,Write,Glob,Grep,Bash",
  "--setting-sources=",
  "--strict-mcp-config",
  "--permission-mode=default",
];

/**
 * One session of the stand-in, the way the SDK holds it: spawned directly (a `.cjs` path counts as a native
 * binary), `initialize` answered before the user message goes, every control request answered "allow", stdin
 * closed once the `result` message is in; resolves when the process has exited 0 after a successful result.
 */
function claudeDirect(executable: string, standInDir: string, worktree: string, task: string): Promise<void> {
  const child: ChildProcessWithoutNullStreams = spawn(
    executable,
    [...CLAUDE_ARGS, `--session-id=${randomUUID()}`],
    { cwd: worktree, env: { ...BASE_ENV, STANDIN_DIR: standInDir }, stdio: "pipe" },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_096);
  });
  const send = (message: unknown) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const initializeId = randomUUID();
  let result: string | null = null;
  return new Promise<void>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (code === 0 && result === "success") resolve();
      else reject(new Error(`claude stand-in: exit ${code}, result ${result}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.trim() === "") return;
      const message = JSON.parse(line) as {
        type: string;
        subtype?: string;
        request_id?: string;
        request?: { subtype: string; input?: unknown };
        response?: { request_id: string };
      };
      if (message.type === "control_response" && message.response?.request_id === initializeId) {
        send({
          type: "user",
          session_id: "",
          message: { role: "user", content: [{ type: "text", text: task }] },
          parent_tool_use_id: null,
        });
      } else if (message.type === "control_request") {
        const response =
          message.request?.subtype === "can_use_tool"
            ? { behavior: "allow", updatedInput: message.request.input }
            : {};
        send({
          type: "control_response",
          response: { subtype: "success", request_id: message.request_id, response },
        });
      } else if (message.type === "result") {
        result = message.subtype ?? null;
        child.stdin.end();
      }
    });
    send({ type: "control_request", request_id: initializeId, request: { subtype: "initialize" } });
  });
}

// --- codex: the argv @openai/codex-sdk passes for the dispatcher's options (read off the stand-in) ---

function codexArgs(fr: Fresh): string[] {
  const gitDir = join(fr.clone, ".git");
  return [
    "exec",
    "--experimental-json",
    "--sandbox",
    "workspace-write",
    "--cd",
    fr.worktree,
    "--add-dir",
    gitDir,
    "--add-dir",
    join(gitDir, "worktrees", basename(fr.worktree)),
    "--config",
    "sandbox_workspace_write.network_access=false",
    "--config",
    'web_search="disabled"',
    "--config",
    'approval_policy="never"',
  ];
}

// --- command: a node one-liner that writes a file and commits ---

const ONE_LINER = [
  'const fs = require("node:fs"), cp = require("node:child_process");',
  'fs.mkdirSync("src", { recursive: true }); fs.writeFileSync("src/one-liner.txt", "work\\n");',
  'cp.execFileSync("git", ["add", "-A"]); cp.execFileSync("git", ["commit", "-q", "-m", "one-liner work"]);',
].join(" ");

// --- timing ---

async function throughRungate(dispatcher: AgentDispatcher, fr: Fresh): Promise<void> {
  const outcome = (await dispatcher.dispatch(fr.request))._unsafeUnwrap();
  if (outcome.outcome !== "committed") throw new Error(`${dispatcher.name}: ${JSON.stringify(outcome)}`);
}

/** Times `run` on a fresh worktree (made before the clock starts) and checks, after it stops, one commit landed. */
async function sample(run: (fr: Fresh) => Promise<unknown>): Promise<number> {
  const fr = await fresh();
  const start = performance.now();
  await run(fr);
  const ms = performance.now() - start;
  const commits = await git(fr.worktree, "rev-list", "--count", "HEAD");
  if (commits !== "2")
    throw new Error(`expected the agent's commit in ${fr.worktree}, found ${commits} commits`);
  return ms;
}

try {
  let start = performance.now();
  await import("@anthropic-ai/claude-agent-sdk");
  const claudeImport = performance.now() - start;
  start = performance.now();
  await import("@openai/codex-sdk");
  const codexImport = performance.now() - start;

  const claude = await installStandIn();
  await claude.script(commitScript());
  const { dispatcher: claudeDispatcher } = await standInDispatcher(claude);
  const codexPath = await installCodexStandIn();
  const codex = await standInCodex(codexPath, COMMITTING_TURN);
  const codexEnv = {
    ...BASE_ENV,
    CODEX_HOME: codex.codexHome,
    STANDIN_SCRIPT: join(codex.dir, "script.json"),
    STANDIN_RECORD: join(codex.dir, "record.jsonl"),
  };
  const commandDispatcher = createCommandDispatcher({
    command: [process.execPath, "-e", ONE_LINER],
    state_dir: join(await tempDir("rungate-bench-command-"), "state"),
  });

  const variants: Record<
    string,
    { direct: (fr: Fresh) => Promise<unknown>; rungate: (fr: Fresh) => Promise<unknown> }
  > = {
    claude: {
      direct: (fr) => claudeDirect(claude.path, claude.dir, fr.worktree, fr.request.task),
      rungate: (fr) => throughRungate(claudeDispatcher, fr),
    },
    codex: {
      direct: (fr) =>
        execa(codexPath, codexArgs(fr), { input: fr.request.task, env: codexEnv, extendEnv: false }),
      rungate: (fr) => throughRungate(codex.dispatcher, fr),
    },
    command: {
      direct: (fr) =>
        execa(process.execPath, ["-e", ONE_LINER], { cwd: fr.worktree, env: BASE_ENV, extendEnv: false }),
      rungate: (fr) => throughRungate(commandDispatcher, fr),
    },
  };

  const firstDispatch: Record<string, number> = {};
  for (const [what, v] of Object.entries(variants)) {
    firstDispatch[what] = await sample(v.rungate);
    await sample(v.direct);
  }

  const samples: Record<string, { direct: number[]; rungate: number[] }> = {};
  for (const what of Object.keys(variants)) samples[what] = { direct: [], rungate: [] };
  const began = performance.now();
  for (let i = 0; i < ROUNDS; i += 1) {
    for (const [what, v] of Object.entries(variants)) {
      const s = samples[what];
      if (s === undefined) continue;
      // Alternate which goes first, so neither always runs on the caches the other just warmed.
      if (i % 2 === 0) {
        s.direct.push(await sample(v.direct));
        s.rungate.push(await sample(v.rungate));
      } else {
        s.rungate.push(await sample(v.rungate));
        s.direct.push(await sample(v.direct));
      }
    }
  }
  const seconds = (performance.now() - began) / 1000;

  console.log(
    `\n${ROUNDS} dispatches each, interleaved, a fresh worktree each (${seconds.toFixed(0)} s); median ms`,
  );
  console.log(
    "| dispatcher | direct (median ms) | through rungate (median ms) | added ms | ratio |\n|---|---|---|---|---|",
  );
  for (const [what, s] of Object.entries(samples)) {
    const direct = median(s.direct);
    const rungate = median(s.rungate);
    console.log(
      `| ${what} | ${direct.toFixed(1)} | ${rungate.toFixed(1)} | ${(rungate - direct).toFixed(1)} | ${(rungate / direct).toFixed(2)}× |`,
    );
  }
  console.log(
    `\nFirst import, before timing: @anthropic-ai/claude-agent-sdk ${claudeImport.toFixed(0)} ms, @openai/codex-sdk ${codexImport.toFixed(0)} ms.`,
  );
  console.log(
    `First dispatch through rungate (untimed warm-up, SDKs already imported): ${Object.entries(firstDispatch)
      .map(([what, ms]) => `${what} ${ms.toFixed(0)} ms`)
      .join(", ")}.`,
  );
} finally {
  await removeTempDirs();
}
