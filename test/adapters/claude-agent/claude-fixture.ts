import { existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import {
  type ClaudeDispatcherConfigInput,
  createClaudeDispatcher,
} from "../../../src/adapters/claude-agent/index.js";
import type { AgentDispatcher, AgentDispatchRequest } from "../../../src/ports/agent-dispatcher.js";
import { dispatchRequest, makeRepo, tempDir } from "../process-dispatch/dispatch-fixture.js";

// Local stand-ins only: temp git repositories, and a stand-in for the Claude Code executable driven through
// the real Agent SDK. No network, no key.

/** The stand-in's source, next to this file. */
const STAND_IN_SOURCE = join(import.meta.dirname, "claude-stand-in.cjs");

/** A stand-in script: see the header of claude-stand-in.cjs. */
export interface StandInScript {
  readonly steps: readonly Record<string, unknown>[];
  readonly result?: string;
  readonly usage_per_turn?: Record<string, number>;
  readonly cost_per_turn?: number;
  readonly turn_ms?: number;
  readonly linger?: boolean;
}

/** One start of the stand-in, as it logged it. */
export interface StandInRun {
  readonly pid: number;
  readonly session_id: string;
  readonly resume: string | null;
  readonly fork: boolean;
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly parent_secret: string | null;
  readonly env_names: readonly string[];
}

/** The stand-in installed as an executable, and the directory it reads its scripts from and logs to. */
export interface StandIn {
  /** The executable (a `.cjs` file: the SDK starts it directly, as it starts a native binary). */
  readonly path: string;
  /** `$STANDIN_DIR`. */
  readonly dir: string;
  /** Sets the script every session plays unless one is set for its id. */
  script(script: StandInScript): Promise<void>;
  /** Sets the script of one session (`resume`: only when it is resumed with `--resume`). */
  scriptFor(sessionId: string, script: StandInScript, options?: { readonly resume?: boolean }): Promise<void>;
  /** Every start so far. */
  runs(): StandInRun[];
  /** Every prompt a session was given so far. */
  prompts(): { readonly session_id: string; readonly prompt: string }[];
}

const readLines = <T>(file: string): T[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as T)
    : [];

/** Copies the stand-in into a fresh directory as an executable and makes its `$STANDIN_DIR`. */
export async function installStandIn(): Promise<StandIn> {
  const bin = await tempDir("rungate-claude-bin-");
  const path = join(bin, "claude-stand-in.cjs");
  await copyFile(STAND_IN_SOURCE, path);
  await chmod(path, 0o755);
  const dir = await tempDir("rungate-claude-standin-");
  await mkdir(join(dir, "scripts"));
  return {
    path,
    dir,
    script: (script) => writeFile(join(dir, "script.json"), JSON.stringify(script)),
    scriptFor: (sessionId, script, options = {}) =>
      writeFile(
        join(dir, "scripts", `${sessionId}${options.resume ? ".resume" : ""}.json`),
        JSON.stringify(script),
      ),
    runs: () => readLines<StandInRun>(join(dir, "runs.jsonl")),
    prompts: () => readLines(join(dir, "prompts.jsonl")),
  };
}

/** A Claude dispatcher on the stand-in, with its own state dir; `extra` overrides the defaults. */
export async function standInDispatcher(
  standIn: StandIn,
  extra: ClaudeDispatcherConfigInput = {},
): Promise<{ dispatcher: AgentDispatcher; stateDir: string }> {
  const stateDir = join(await tempDir("rungate-claude-state-"), "state");
  const dispatcher = createClaudeDispatcher({
    path_to_claude_code_executable: standIn.path,
    state_dir: stateDir,
    kill_grace_ms: 300,
    ...extra,
    env: { STANDIN_DIR: standIn.dir, ...extra.env },
  });
  return { dispatcher, stateDir };
}

/** A repository with one worktree on a new feature branch, and a request for it (a fresh UUID execution id). */
export async function prepared(
  overrides: Parameters<typeof dispatchRequest>[2] = {},
): Promise<{ request: AgentDispatchRequest; worktree: string; clone: string; branch: string }> {
  const repo = await makeRepo();
  const branch = `rungate/card-${Math.random().toString(36).slice(2, 8)}`;
  const worktree = await repo.worktree(branch);
  return { request: dispatchRequest(worktree, branch, overrides), worktree, clone: repo.clone, branch };
}

/** The pid of a process that has exited (and been reaped): a dead marker owner. */
export async function deadPid(): Promise<number> {
  const exited = execa(process.execPath, ["-e", "0"]);
  const pid = exited.pid ?? 0;
  await exited;
  return pid;
}

/** A script that writes a file under `src/` and commits it. */
export function commitScript(file = "src/cart.ts", result = "Added the cart total."): StandInScript {
  return {
    steps: [
      { say: "I will add the cart total." },
      { tool: "Write", input: { file_path: file, content: "export const total = 1;\n" } },
      { tool: "Bash", input: { command: "git add -A && git commit -q -m 'Add the cart total'" } },
    ],
    result,
  };
}
