import { z } from "zod";

/** Default {@link SimpleGitAdapterConfig.timeout_ms}: five minutes without any output from one git command. */
export const DEFAULT_GIT_TIMEOUT_MS = 300_000;

/** The username sent with a token when none is configured (what GitHub, GitLab and Gitea accept). */
export const DEFAULT_CREDENTIALS_USERNAME = "x-access-token";

/** The characters simple-git accepts in a custom binary path (it refuses anything else). */
const GIT_BINARY = /^([a-z]:)?([a-z0-9/.\\_~-]+)$/i;

/** An environment variable name as a shell would accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Token credentials for https remotes, sent per command as an `Authorization: Basic` header. */
export const SimpleGitCredentials = z.strictObject({
  /** Username paired with the token (default `"x-access-token"`). */
  username: z.string().min(1).optional(),
  /** The token (a personal access token, an app installation token…). Never written to disk or logged. */
  token: z.string().min(1),
});
/** {@link SimpleGitCredentials} as you write them. */
export type SimpleGitCredentials = z.input<typeof SimpleGitCredentials>;

/** Options of {@link createSimpleGitAdapter}. */
export const SimpleGitAdapterConfig = z.strictObject({
  /**
   * Where clones live: `<root>/<project_id>` (a bare repository) and `<root>/<project_id>.worktrees/<id>`.
   * Default `~/.rungate/repos`, computed when the adapter is created. A relative path is resolved against the
   * current directory at that moment.
   */
  root: z.string().min(1).optional(),
  /** The adapter's name in errors and events (default `"simple-git"`). */
  name: z.string().min(1).optional(),
  /** The git executable (default `git` on the `PATH`); letters, digits and `/ . \ _ ~ -` only. */
  git_binary: z
    .string()
    .regex(GIT_BINARY, "expected a path made of letters, digits and / . \\ _ ~ -")
    .optional(),
  /**
   * Extra environment for every git command, e.g. `{ GIT_SSH_COMMAND: "ssh -i /keys/deploy" }`. Applied over
   * the host's environment (read once, when the adapter is created).
   */
  env: z.record(z.string().regex(ENV_NAME, "expected an environment variable name"), z.string()).optional(),
  /** Token credentials for https remotes (see {@link SimpleGitCredentials}). */
  credentials: SimpleGitCredentials.optional(),
  /**
   * How long one git command may stay silent (no output on stdout or stderr) before it is killed and the call
   * fails with `timeout`. Network commands run with `--progress`, so a long but progressing clone is not cut.
   */
  timeout_ms: z.int().positive().max(86_400_000).default(DEFAULT_GIT_TIMEOUT_MS),
});

/** Options of {@link createSimpleGitAdapter}, as you write them. */
export type SimpleGitAdapterConfig = z.input<typeof SimpleGitAdapterConfig>;
/** Parsed {@link SimpleGitAdapterConfig}, defaults filled in. */
export type ParsedSimpleGitAdapterConfig = z.output<typeof SimpleGitAdapterConfig>;

/** How to call {@link createSimpleGitAdapter}; shown when the options do not parse. */
export const SIMPLE_GIT_CONFIG_USAGE = `createSimpleGitAdapter({ root: "/var/lib/rungate/repos" })
  options (all optional): root (default ~/.rungate/repos), name, git_binary, env: { GIT_SSH_COMMAND: "…" },
  credentials: { username?, token } (https remotes), timeout_ms (default ${DEFAULT_GIT_TIMEOUT_MS})`;
