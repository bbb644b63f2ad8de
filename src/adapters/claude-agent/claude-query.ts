import { err, ok, type Result } from "neverthrow";
import { dispatcherFailure } from "../../internal/agent-dispatch/dispatch-errors.js";
import type { PortError } from "../../ports/port-error.js";

/** A running query as the dispatcher uses it: the SDK's messages, and a way to end it. */
export interface ClaudeQueryHandle extends AsyncIterable<unknown> {
  /** Ends the query, its pending requests and the Claude Code process (the SDK's `Query.close`). */
  close?(): void;
}

/**
 * The SDK's `query` function as the dispatcher calls it: a prompt and the SDK's `Options`. `options` is typed
 * `never` on purpose: rungate's public types cannot name the SDK's `Options` (an optional peer), and with
 * `never` the SDK's own `query`, or any wrapper of it, is assignable as it is. A stand-in that reads the
 * options casts them.
 */
export type ClaudeQuery = (params: { readonly prompt: string; readonly options: never }) => ClaudeQueryHandle;

/** The package the default `query` comes from (an optional peer of rungate). */
export const CLAUDE_SDK_PACKAGE = "@anthropic-ai/claude-agent-sdk";

/** Imports the SDK module; a parameter so that the "not installed" answer can be tested. */
export type SdkImporter = () => Promise<{ readonly query?: unknown }>;

// A literal specifier, so bundlers and the architecture test see it; ESM-only, so imported on first use: the
// package stays loadable from CommonJS, and loading `rungate/claude` never loads the SDK.
const importSdk: SdkImporter = () => import("@anthropic-ai/claude-agent-sdk");

let loaded: Promise<Result<ClaudeQuery, PortError>> | null = null;

/**
 * The SDK's `query`, imported once on first use. Fails `port_failure` (not retryable) when the package is
 * not installed, saying how to install it.
 */
export function loadClaudeQuery(
  adapter: string,
  importer: SdkImporter = importSdk,
): Promise<Result<ClaudeQuery, PortError>> {
  const load = async (): Promise<Result<ClaudeQuery, PortError>> => {
    try {
      const module = await importer();
      if (typeof module.query !== "function") {
        return err(
          dispatcherFailure(
            adapter,
            "load the Claude Agent SDK",
            `${CLAUDE_SDK_PACKAGE} exports no query function`,
          ),
        );
      }
      return ok(module.query as ClaudeQuery);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const missing = code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
      const why = missing
        ? `${CLAUDE_SDK_PACKAGE} is not installed: it is an optional peer of rungate; install it with \`npm install ${CLAUDE_SDK_PACKAGE}\``
        : cause;
      return err(dispatcherFailure(adapter, "load the Claude Agent SDK", why));
    }
  };
  if (importer !== importSdk) return load();
  loaded ??= load().then((result) => {
    // A failed import is not kept: installing the package fixes the next dispatch without a restart.
    if (result.isErr()) loaded = null;
    return result;
  });
  return loaded;
}
