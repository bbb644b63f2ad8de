// The slice of `@openai/codex-sdk` this adapter uses, as structural types of its own: the package is an
// optional peer, so neither rungate's code nor its published types may need it to be installed. The loader
// below assigns the SDK's `Codex` to `CodexClass` without a cast, so the compiler checks that it fits.

/** What the adapter hands the `Codex` constructor (the SDK's `CodexOptions`, the fields rungate sets). */
export interface CodexClientOptions {
  readonly codexPathOverride?: string;
  readonly baseUrl?: string;
  readonly apiKey?: string;
  /** The whole environment of the `codex` process: the SDK then inherits nothing from `process.env`. */
  readonly env: Record<string, string>;
}

/** What the adapter hands `startThread` / `resumeThread` (the SDK's `ThreadOptions`, the fields rungate sets). */
export interface CodexThreadSettings {
  readonly model?: string;
  readonly modelReasoningEffort?:
    | "minimal"
    | "low"
    | "medium"
    | "high"
    | "xhigh"
    | "max"
    | "ultra"
    | "persistent";
  readonly sandboxMode: "workspace-write";
  readonly approvalPolicy: "never";
  readonly workingDirectory: string;
  readonly skipGitRepoCheck?: boolean;
  readonly networkAccessEnabled: boolean;
  readonly webSearchMode?: "disabled";
  readonly additionalDirectories: string[];
}

/** One thread-run's events, as the SDK streams them (each a parsed JSON line of `codex exec`). */
export interface CodexStreamedRun {
  readonly events: AsyncIterator<unknown> & AsyncIterable<unknown>;
}

/** A Codex thread (the SDK's `Thread`). */
export interface CodexThreadLike {
  runStreamed(input: string, options?: { signal?: AbortSignal }): Promise<CodexStreamedRun>;
}

/** A Codex client (the SDK's `Codex`). */
export interface CodexLike {
  startThread(options?: CodexThreadSettings): CodexThreadLike;
  resumeThread(id: string, options?: CodexThreadSettings): CodexThreadLike;
}

/** A class like the SDK's `Codex`: the adapter's injection point. */
export type CodexClass = new (options: CodexClientOptions) => CodexLike;

/** The optional peer to install when the SDK is missing. */
export const CODEX_SDK_PACKAGE = "@openai/codex-sdk";

let loading: Promise<CodexClass> | null = null;

/**
 * The SDK's `Codex` class, imported on first use only (once): `rungate/codex` can then be required from
 * CommonJS, and loading rungate never loads the SDK or looks for the ~400 MB `codex` binary. Rejects when the
 * package is not installed (the caller names the peer to install).
 */
export function loadCodexClass(): Promise<CodexClass> {
  loading ??= import("@openai/codex-sdk").then((sdk) => {
    const codex: CodexClass = sdk.Codex;
    return codex;
  });
  // A failed import is not cached: installing the package fixes the next dispatch without a restart.
  loading.catch(() => {
    loading = null;
  });
  return loading;
}
