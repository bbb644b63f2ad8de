import { realpath, stat } from "node:fs/promises";
import { err, ok, type Result } from "neverthrow";
import { dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import type { PortError } from "../../ports/port-error.js";
import {
  CODEX_SDK_PACKAGE,
  type CodexClass,
  type CodexClientOptions,
  type CodexLike,
  type CodexThreadSettings,
  loadCodexClass,
} from "./codex-client.js";
import type { CodexDispatcherConfig } from "./codex-dispatcher-config.js";
import { findWorktreeGitDir } from "./git-dirs.js";

/** What a dispatch sets up before it claims its execution: the client, and how its threads run. */
export interface CodexSetup {
  readonly client: CodexLike;
  readonly thread_settings: CodexThreadSettings;
  /** The directories Codex is told to make writable besides the worktree (the git dirs). */
  readonly writable: readonly string[];
  /**
   * Every directory Codex's `workspace-write` sandbox lets it write: the worktree (as given and canonical), the
   * git dir, `/tmp` and the agent's `TMPDIR`. A failed change outside these was refused.
   */
  readonly roots: readonly string[];
}

/** What {@link setUpCodex} needs of one dispatch. */
export interface SetupInput {
  readonly worktree: string;
  readonly env: Record<string, string>;
  readonly model: string | null;
  readonly network: boolean;
}

/**
 * Checks the worktree, finds its git dir, loads the SDK (on first use) and makes the client: everything that
 * can fail before Codex starts, so that such a failure leaves the execution startable. Fails `port_failure`.
 */
export async function setUpCodex(
  config: CodexDispatcherConfig,
  input: SetupInput,
): Promise<Result<CodexSetup, PortError>> {
  const fail = (operation: string, cause: unknown) => err(dispatcherFailure(config.name, operation, cause));
  const isDirectory = await stat(input.worktree).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) return fail("dispatch", `the worktree ${input.worktree} is not a directory`);

  let gitDir: Awaited<ReturnType<typeof findWorktreeGitDir>>;
  try {
    gitDir = await findWorktreeGitDir(input.worktree);
  } catch (cause) {
    return fail("find the worktree's git dir", cause);
  }

  let Codex: CodexClass;
  try {
    Codex = config.codex_class ?? (await loadCodexClass());
  } catch (cause) {
    return fail(
      `load ${CODEX_SDK_PACKAGE}`,
      `${CODEX_SDK_PACKAGE} is not installed (an optional peer of rungate): npm install ${CODEX_SDK_PACKAGE} (${cause instanceof Error ? cause.message : String(cause)})`,
    );
  }
  const options: CodexClientOptions = {
    env: input.env,
    ...(config.codex_path_override === undefined ? {} : { codexPathOverride: config.codex_path_override }),
    ...(config.base_url === undefined ? {} : { baseUrl: config.base_url }),
    ...(config.api_key === undefined ? {} : { apiKey: config.api_key }),
  };
  let client: CodexLike;
  try {
    // Without `codex_path_override` the SDK looks for the binary of @openai/codex here, and throws if missing.
    client = new Codex(options);
  } catch (cause) {
    return fail("set up Codex", cause);
  }

  const writable = gitDir.kind === "dirs" ? [...gitDir.paths] : [];
  const thread_settings: CodexThreadSettings = {
    workingDirectory: input.worktree,
    sandboxMode: "workspace-write",
    approvalPolicy: "never",
    networkAccessEnabled: input.network,
    additionalDirectories: [...writable],
    // Web search reaches the network through OpenAI's servers: off when the policy keeps the agent offline.
    ...(input.network ? {} : { webSearchMode: "disabled" as const }),
    ...(gitDir.kind === "none" ? { skipGitRepoCheck: true } : {}),
    ...(input.model === null ? {} : { model: input.model }),
    ...(config.model_reasoning_effort === undefined
      ? {}
      : { modelReasoningEffort: config.model_reasoning_effort }),
  };
  const roots = [
    input.worktree,
    await realpath(input.worktree).catch(() => input.worktree),
    ...writable,
    "/tmp",
    ...(input.env.TMPDIR === undefined ? [] : [input.env.TMPDIR]),
  ];
  return ok({ client, thread_settings, writable, roots });
}
