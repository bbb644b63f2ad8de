/**
 * A {@link PullRequestHost} for "forge", a small self-hosted git forge, written from scratch against rungate's
 * port: it opens draft pull requests, reads their state and publishes commit statuses over the forge's REST
 * API. Like every host it has no merge: merging stays a person's act on the forge, which rungate only observes.
 *
 * The transport is injected (`fetch`), so tests talk to a stand-in server or a scripted fetch, never through a
 * patched global.
 */
import {
  type CommitStatusInput,
  type DraftPullRequestInput,
  errAsync,
  fromPromise,
  type HostedPullRequest,
  okAsync,
  type PortCallOptions,
  type PortError,
  type PullRequestHost,
  type ResultAsync,
  rungateError,
} from "rungate";
import { z } from "zod";
import {
  type ForgeCall,
  ForgeErrorBody,
  ForgePull,
  ForgePullList,
  forgeError,
  toHostedPullRequest,
} from "./forge-api.js";

/** Options of {@link createForgePullRequestHost}, parsed at construction. */
const ForgeConfig = z.object({
  /** The forge's address, e.g. `https://forge.example.com` (its API lives under `/api/v1`). */
  base_url: z.url(),
  owner: z.string().min(1),
  repo: z.string().min(1),
  /** An access token of rungate's bot account, allowed to open pull requests and set statuses. */
  token: z.string().min(1),
  /** The host's name in rungate's records and errors (default `"forge"`). */
  name: z.string().min(1).default("forge"),
  /** How long one HTTP call may take (default 10 s). */
  timeout_ms: z.number().int().positive().default(10_000),
  /** The transport (default the global `fetch`). */
  fetch: z.custom<typeof fetch>((v) => typeof v === "function").optional(),
});
/** What you pass to {@link createForgePullRequestHost}. */
export type ForgeConfig = z.input<typeof ForgeConfig>;

/**
 * Builds the forge host. Bad options are a programmer error: it throws a `TypeError` saying what was wrong and
 * how a correct call looks.
 *
 * @example
 * const host = createForgePullRequestHost({
 *   base_url: "https://forge.example.com",
 *   owner: "acme",
 *   repo: "shop",
 *   token: process.env.FORGE_TOKEN ?? "",
 * });
 */
export function createForgePullRequestHost(config: ForgeConfig): PullRequestHost {
  const parsed = ForgeConfig.safeParse(config);
  if (!parsed.success) {
    throw new TypeError(
      `createForgePullRequestHost: ${z.prettifyError(parsed.error)}\n` +
        'usage: createForgePullRequestHost({ base_url: "https://forge.example.com", owner: "acme", repo: "shop", token })',
    );
  }
  const { base_url, owner, repo, token, name, timeout_ms } = parsed.data;
  const send = parsed.data.fetch ?? fetch;
  const origin = base_url.replace(/\/+$/, "");
  const repoPath = `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}`;
  /** Every PR url of this repository starts with this; the number follows. */
  const pullUrlPrefix = `${origin}/${owner}/${repo}/pulls/`;

  /**
   * One API call: the response body parsed with `schema`, or a {@link PortError}. Never throws: a network
   * failure is a retryable `port_failure`, the caller's abort `cancelled`, our own deadline `timeout`.
   */
  function call<S extends z.ZodType>(
    operation: `${"GET" | "POST"} /${string}`,
    path: string,
    target: ForgeCall["subject"],
    schema: S,
    body: unknown,
    options: PortCallOptions | undefined,
  ): ResultAsync<z.infer<S>, PortError> {
    const what: ForgeCall = { adapter: name, operation, subject: target };
    const method = operation.slice(0, operation.indexOf(" "));
    if (options?.signal?.aborted)
      return errAsync(rungateError("cancelled", "cancelled", { operation: what.operation }));
    const deadline = AbortSignal.timeout(timeout_ms);
    const signal = options?.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const init: RequestInit = {
      method,
      signal,
      headers: {
        authorization: `token ${token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    };
    const failed = (thrown: unknown): PortError => {
      if (options?.signal?.aborted)
        return rungateError("cancelled", "cancelled", { operation: what.operation });
      if (deadline.aborted)
        return rungateError("timeout", "forge_timeout", { operation: what.operation, timeout_ms });
      const cause = thrown instanceof Error ? thrown.message : String(thrown);
      return rungateError("port_failure", "forge_network", {
        port: "PullRequestHost",
        adapter: name,
        operation: what.operation,
        retryable: true,
        cause: cause.replaceAll(token, "[redacted]"),
      });
    };
    return fromPromise(
      (async () => {
        const response = await send(`${origin}/api/v1${repoPath}${path}`, init);
        const text = await response.text();
        return { status: response.status, ok: response.ok, text };
      })(),
      failed,
    ).andThen(({ status, ok, text }) => {
      const json = safeJson(text);
      if (!ok) {
        const said = ForgeErrorBody.safeParse(json);
        const message = said.success ? said.data.message : text.slice(0, 200);
        // The forge may echo what it was sent: our token never leaves in an error.
        return errAsync(forgeError(what, status, message.replaceAll(token, "[redacted]")));
      }
      const parsedBody = schema.safeParse(json);
      return parsedBody.success
        ? okAsync(parsedBody.data as z.infer<S>)
        : errAsync(
            rungateError("port_failure", "forge_unexpected_response", {
              port: "PullRequestHost",
              adapter: name,
              operation: what.operation,
              retryable: false,
              cause: z.prettifyError(parsedBody.error),
            }),
          );
    });
  }

  const host: PullRequestHost = {
    name,
    // The token never reaches a stored record, an event or an error: rungate redacts every value listed here.
    secret_values: [token],

    createDraftPullRequest(input: DraftPullRequestInput, options?: PortCallOptions) {
      const branch = { entity: "branch", id: input.head_branch };
      const query = `?state=open&head=${encodeURIComponent(input.head_branch)}`;
      // Idempotent: an open PR of the same head branch is the one rungate opened before (a retry, a restart).
      return call(
        "GET /pulls?head={branch}",
        `/pulls${query}`,
        branch,
        ForgePullList,
        undefined,
        options,
      ).andThen((open) => {
        const existing = open.find((p) => p.head.ref === input.head_branch);
        if (existing) return okAsync(toHostedPullRequest(existing));
        const body = {
          title: input.title,
          body: input.body,
          head: input.head_branch,
          head_sha: input.head_sha,
          base: input.base_branch,
          draft: true,
        };
        return call("POST /pulls", "/pulls", branch, ForgePull, body, options).map(toHostedPullRequest);
      });
    },

    getPullRequest(url: string, options?: PortCallOptions): ResultAsync<HostedPullRequest, PortError> {
      const number = url.startsWith(pullUrlPrefix) ? url.slice(pullUrlPrefix.length) : "";
      if (!/^[1-9][0-9]{0,9}$/.test(number)) {
        return errAsync(rungateError("not_found", "forge_not_found", { entity: "pull request", id: url }));
      }
      const target = { entity: "pull request", id: url };
      return call("GET /pulls/{number}", `/pulls/${number}`, target, ForgePull, undefined, options).map(
        toHostedPullRequest,
      );
    },

    publishCommitStatus(input: CommitStatusInput, options?: PortCallOptions) {
      const body = {
        state: input.state,
        context: input.context,
        // The forge caps descriptions at 140 characters, as GitHub does.
        description:
          input.description.length > 140 ? `${input.description.slice(0, 139)}…` : input.description,
        target_url: input.target_url,
      };
      const commit = { entity: "commit", id: input.head_sha };
      const path = `/statuses/${encodeURIComponent(input.head_sha)}`;
      return call("POST /statuses/{sha}", path, commit, z.unknown(), body, options).map(() => undefined);
    },
  };
  return host;
}

/** The body as JSON, or `undefined` when it is not JSON (an HTML error page from a proxy, say). */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
