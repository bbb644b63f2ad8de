import { devNull } from "node:os";

/**
 * The environment every git command of this adapter runs with, and the credentials it adds for the commands
 * that talk to a remote. Pure: the host's environment comes in as an argument.
 */

/**
 * Variables never inherited from the host process. Where a repository lives: a git hook, or a tool run from
 * one, exports `GIT_DIR`/`GIT_INDEX_FILE`/`GIT_CONFIG_PARAMETERS`, which would point every command of this
 * adapter at the wrong repository. Interactive programs: this adapter never opens an editor, a pager or a
 * password prompt (and simple-git refuses to run with some of them set).
 */
export const NOT_INHERITED: ReadonlySet<string> = new Set([
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_INDEX_FILE",
  "GIT_OBJECT_DIRECTORY",
  "GIT_ALTERNATE_OBJECT_DIRECTORIES",
  "GIT_COMMON_DIR",
  "GIT_NAMESPACE",
  "GIT_PREFIX",
  "GIT_QUARANTINE_PATH",
  "GIT_CEILING_DIRECTORIES",
  "GIT_DISCOVERY_ACROSS_FILESYSTEM",
  "GIT_CONFIG_PARAMETERS",
  "GIT_LITERAL_PATHSPECS",
  "GIT_GLOB_PATHSPECS",
  "GIT_NOGLOB_PATHSPECS",
  "GIT_ICASE_PATHSPECS",
  "EDITOR",
  "VISUAL",
  "GIT_EDITOR",
  "GIT_SEQUENCE_EDITOR",
  "PAGER",
  "GIT_PAGER",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
  "GIT_EXTERNAL_DIFF",
]);

/**
 * Set on every command: never prompt (a missing credential fails at once), English messages (the error
 * mapping reads them).
 */
const DEFAULTS: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: "0",
  GCM_INTERACTIVE: "never",
  LC_ALL: "C",
};

/** Seconds the http transport may stall beyond the command's own time limit before it gives up by itself. */
const LOW_SPEED_MARGIN_S = 5;

/**
 * simple-git's unsafe-operation categories that an environment variable triggers (names lower-cased, as
 * simple-git compares them). The adapter enables a category only when such a variable is present: the
 * operator set it, so it is trusted; the command lines are built by the adapter and never carry
 * caller-controlled options.
 */
const UNSAFE_ENV_CATEGORY: Readonly<Record<string, UnsafeCategory>> = {
  editor: "allowUnsafeEditor",
  git_askpass: "allowUnsafeAskPass",
  git_config: "allowUnsafeConfigPaths",
  git_config_global: "allowUnsafeConfigPaths",
  git_config_system: "allowUnsafeConfigPaths",
  git_config_count: "allowUnsafeConfigEnvCount",
  git_editor: "allowUnsafeEditor",
  git_exec_path: "allowUnsafeConfigPaths",
  git_external_diff: "allowUnsafeDiffExternal",
  git_pager: "allowUnsafePager",
  git_proxy_command: "allowUnsafeGitProxy",
  git_template_dir: "allowUnsafeTemplateDir",
  git_sequence_editor: "allowUnsafeEditor",
  git_ssh: "allowUnsafeSshCommand",
  git_ssh_command: "allowUnsafeSshCommand",
  pager: "allowUnsafePager",
  prefix: "allowUnsafeConfigPaths",
  ssh_askpass: "allowUnsafeAskPass",
};

/** A simple-git `unsafe` flag this adapter may enable. */
export type UnsafeCategory =
  | "allowUnsafeEditor"
  | "allowUnsafeAskPass"
  | "allowUnsafeConfigPaths"
  | "allowUnsafeConfigEnvCount"
  | "allowUnsafeDiffExternal"
  | "allowUnsafePager"
  | "allowUnsafeGitProxy"
  | "allowUnsafeTemplateDir"
  | "allowUnsafeSshCommand"
  | "allowUnsafeHooksPath"
  | "allowUnsafeFsMonitor"
  | "allowUnsafeCredentialHelper"
  | "allowUnsafeProtocolOverride";

/**
 * Host variables a git process of rungate's may see, by exact name: where programs are (`PATH`), a home and a
 * temp directory (git and ssh want one), an ssh agent for ssh remotes, and proxies. Nothing else of the host
 * reaches git: not its tokens, not a `GIT_*` variable that would point git elsewhere. The configured `env`
 * adds what a deployment needs on top.
 */
export const HOST_PASS_THROUGH: readonly string[] = [
  "PATH",
  "HOME",
  "TMPDIR",
  "SSH_AUTH_SOCK",
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
  "ALL_PROXY",
  "all_proxy",
  "SYSTEMROOT",
];

/**
 * Fixed parts that make every git process of rungate's deaf to configuration it did not write: no system and
 * no global config file (the repository's own config is rungate's: see clone-integrity.ts), no replace refs
 * (they would let a ref change what a commit reads as), no lazy fetches by a partial clone's promisor, no
 * system attributes, and optional locks off for reads.
 */
const CONFIG_ISOLATION: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: devNull,
  GIT_NO_REPLACE_OBJECTS: "1",
  GIT_NO_LAZY_FETCH: "1",
  GIT_ATTR_NOSYSTEM: "1",
  GIT_PROTOCOL_FROM_USER: "0",
};

/**
 * The base environment, built by rungate rather than inherited: the host's {@link HOST_PASS_THROUGH}
 * variables, the adapter's defaults, the configured `env` (minus {@link NOT_INHERITED}), then the fixed parts
 * ({@link CONFIG_ISOLATION}; `GIT_CEILING_DIRECTORIES` = the clone root, so a command never wanders into a
 * repository above it; literal pathspecs, so a path argument is a path, never a glob or `:(magic)`).
 *
 * The defaults include an http low-speed limit (under 1 byte/s for `timeout_ms` + 5 s): when a command is
 * killed (abort, time limit), git's http helper is left running on its own, and this makes it give up on a
 * stalled server instead of waiting forever.
 */
export function baseGitEnv(
  host: Readonly<Record<string, string | undefined>>,
  configured: Readonly<Record<string, string>>,
  root: string,
  timeout_ms: number,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of HOST_PASS_THROUGH) {
    const value = host[name];
    if (value !== undefined) env[name] = value;
  }
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured)) {
    if (!NOT_INHERITED.has(name.toUpperCase())) own[name] = value;
  }
  return {
    ...env,
    ...DEFAULTS,
    GIT_HTTP_LOW_SPEED_LIMIT: "1",
    GIT_HTTP_LOW_SPEED_TIME: String(Math.ceil(timeout_ms / 1000) + LOW_SPEED_MARGIN_S),
    ...own,
    ...CONFIG_ISOLATION,
    GIT_CEILING_DIRECTORIES: root,
    GIT_LITERAL_PATHSPECS: "1",
  };
}

/**
 * The unsafe flags an environment needs, plus those of the adapter's own `-c` settings, which switch the
 * same mechanisms *off* (hooks path, fsmonitor, credential helper, askpass, protocol allow-list): simple-git
 * cannot tell a setting that disables a program from one that names it.
 */
export function unsafeFlagsFor(env: Readonly<Record<string, string>>): Partial<Record<UnsafeCategory, true>> {
  const flags: Partial<Record<UnsafeCategory, true>> = {
    allowUnsafeHooksPath: true,
    allowUnsafeFsMonitor: true,
    allowUnsafeCredentialHelper: true,
    allowUnsafeAskPass: true,
    allowUnsafeProtocolOverride: true,
    allowUnsafeConfigPaths: true,
    // `git init --template=` (an empty template: no sample hooks in a repository rungate makes).
    allowUnsafeTemplateDir: true,
  };
  for (const name of Object.keys(env)) {
    const category = UNSAFE_ENV_CATEGORY[name.toLowerCase()];
    if (category !== undefined) flags[category] = true;
  }
  return flags;
}

/** Token credentials, parsed. */
export interface GitCredentials {
  readonly username: string;
  readonly token: string;
}

/** The `Authorization` header value for {@link GitCredentials}. */
export function basicAuthorization(credentials: GitCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.token}`, "utf8").toString("base64")}`;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * The origin (`https://host[:port]`) credentials may be sent to for a remote URL: an `https` URL, or an `http`
 * URL on a loopback host (local test servers). `null` for anything else (ssh, scp-like, local paths, plain
 * http to another host), which then gets no credentials.
 */
export function credentialOrigin(remoteUrl: string): string | null {
  if (!URL.canParse(remoteUrl)) return null;
  const url = new URL(remoteUrl);
  if (url.protocol === "https:") return url.origin;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return url.origin;
  return null;
}

/**
 * Extra environment that hands git the credentials for one command that talks to `remoteUrl`: an
 * `http.<origin>/.extraHeader` passed through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`, so
 * it lives only in that process's environment — never on the command line (visible to other users), never in
 * `.git/config`, and scoped to the remote's origin (a redirect or an `insteadOf` to another host gets
 * nothing). Appends after any `GIT_CONFIG_COUNT` entries already in `env`. Empty without credentials or
 * without a {@link credentialOrigin}.
 */
export function credentialEnv(
  credentials: GitCredentials | undefined,
  remoteUrl: string,
  env: Readonly<Record<string, string>>,
): Record<string, string> {
  const origin = credentials === undefined ? null : credentialOrigin(remoteUrl);
  if (credentials === undefined || origin === null) return {};
  const parsed = Number.parseInt(env.GIT_CONFIG_COUNT ?? "0", 10);
  const index = Number.isInteger(parsed) && parsed > 0 ? parsed : 0;
  return {
    GIT_CONFIG_COUNT: String(index + 1),
    [`GIT_CONFIG_KEY_${index}`]: `http.${origin}/.extraHeader`,
    [`GIT_CONFIG_VALUE_${index}`]: `Authorization: ${basicAuthorization(credentials)}`,
  };
}
