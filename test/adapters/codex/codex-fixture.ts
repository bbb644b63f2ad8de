import { existsSync, readFileSync } from "node:fs";
import { chmod, copyFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CodexDispatcherConfigInput } from "../../../src/adapters/codex/index.js";
import { createCodexDispatcher } from "../../../src/adapters/codex/index.js";
import type { AgentDispatcher } from "../../../src/ports/agent-dispatcher.js";
import { tempDir } from "../process-dispatch/dispatch-fixture.js";

// Local stand-ins only: temp git repositories (made by the command dispatcher's fixture) and a stand-in
// `codex` executable driven through the real @openai/codex-sdk. No network, no key, no model.

/** A step of the stand-in's script (see stand-in-codex.cjs). */
export type StandInStep = Record<string, unknown> & { readonly do: string };

/** A stand-in script: one list of steps for every start, or one per start (`runs`, by start index). */
export type StandInScript =
  | { readonly steps: readonly StandInStep[]; readonly ignore_sigterm?: boolean }
  | {
      readonly runs: readonly { readonly steps: readonly StandInStep[]; readonly ignore_sigterm?: boolean }[];
    };

/** What the stand-in recorded of one start. */
export interface StandInStart {
  readonly start: number;
  readonly pid: number;
  readonly argv: string[];
  readonly cwd: string;
  readonly prompt: string;
  readonly sandbox: string | null;
  readonly model: string | null;
  readonly add_dirs: string[];
  readonly skip_git_repo_check: boolean;
  readonly resume: string | null;
  readonly config: Record<string, unknown>;
  readonly env: {
    readonly parent_secret_seen: boolean;
    readonly codex_api_key: string | null;
    readonly openai_api_key: string | null;
    readonly execution_id: string | null;
    readonly originator: string | null;
    readonly names: string[];
  };
}

/** Copies the stand-in into a new directory as an executable named `codex`; answers its path. */
export async function installCodexStandIn(): Promise<string> {
  const dir = await tempDir("rungate-codex-bin-");
  const path = join(dir, "codex");
  await copyFile(join(import.meta.dirname, "stand-in-codex.cjs"), path);
  await chmod(path, 0o755);
  return path;
}

/** A Codex dispatcher on the stand-in, with its own state dir, Codex home, script and record. */
export interface StandInHarness {
  readonly dispatcher: AgentDispatcher;
  readonly dir: string;
  readonly stateDir: string;
  readonly codexHome: string;
  /** The config the dispatcher was made with (to make another one, in another process, on the same files). */
  readonly config: CodexDispatcherConfigInput;
  /** Replaces the script (the next start plays it). */
  script(script: StandInScript): Promise<void>;
  /** Every start the stand-in recorded, in order. */
  starts(): StandInStart[];
  /** The `mark` steps the stand-in reached, in order. */
  marks(): string[];
}

/** Builds a {@link StandInHarness}; `extra` is merged into the dispatcher's config. */
export async function standInCodex(
  standIn: string,
  script: StandInScript,
  extra: Partial<CodexDispatcherConfigInput> = {},
): Promise<StandInHarness> {
  const dir = await tempDir("rungate-codex-");
  const scriptFile = join(dir, "script.json");
  const record = join(dir, "record.jsonl");
  const stateDir = join(dir, "state");
  const codexHome = join(dir, "codex-home");
  const config: CodexDispatcherConfigInput = {
    codex_path_override: standIn,
    state_dir: stateDir,
    codex_home: codexHome,
    kill_grace_ms: 300,
    usage_poll_ms: 25,
    ...extra,
    env: { STANDIN_SCRIPT: scriptFile, STANDIN_RECORD: record, ...(extra.env ?? {}) },
  };
  const lines = () =>
    existsSync(record)
      ? readFileSync(record, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      : [];
  const harness: StandInHarness = {
    dispatcher: createCodexDispatcher(config),
    dir,
    stateDir,
    codexHome,
    config,
    async script(next) {
      await writeFile(scriptFile, JSON.stringify(next));
    },
    starts: () => lines().filter((line) => "argv" in line) as unknown as StandInStart[],
    marks: () => lines().flatMap((line) => (typeof line.mark === "string" ? [line.mark] : [])),
  };
  await harness.script(script);
  return harness;
}

/** A plain completed turn: a thread, a message, usage, done. */
export const QUIET_TURN: StandInScript = {
  steps: [
    { do: "thread_started" },
    { do: "turn_started" },
    { do: "message", text: "Nothing to change." },
    { do: "usage", input: 50, output: 5 },
    { do: "turn_completed" },
  ],
};

/** A completed turn that commits once (with two model responses). */
export const COMMITTING_TURN: StandInScript = {
  steps: [
    { do: "thread_started" },
    { do: "turn_started" },
    { do: "reasoning", text: "Add the cart total." },
    { do: "usage", input: 100, output: 20, cached: 10 },
    { do: "commit", message: "Add the cart total" },
    { do: "usage", input: 300, output: 40, cached: 50 },
    { do: "message", text: "Added the cart total and committed it." },
    { do: "turn_completed" },
  ],
};
