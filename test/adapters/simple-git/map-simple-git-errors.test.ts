import { describe, expect, it } from "vitest";
import {
  baseGitEnv,
  credentialEnv,
  credentialOrigin,
  unsafeFlagsFor,
} from "../../../src/adapters/simple-git/git-env.js";
import { parseLog, parseQuotedRawDiff } from "../../../src/adapters/simple-git/git-output.js";
import { mapGitStatus } from "../../../src/adapters/simple-git/map-git-status.js";
import {
  classifyGitStderr,
  createRedact,
  excerpt,
  MAX_CAUSE_BYTES,
  toGitPortError,
} from "../../../src/adapters/simple-git/map-simple-git-errors.js";

// Pure functions only: no git runs here.

const TOKEN = "tok_0123456789abcdef0123456789abcdef";
const redact = createRedact([TOKEN]);
const SHA_A = "a".repeat(40);
const SHA_B = "b".repeat(40);

describe("git failures", () => {
  it.each([
    ["fatal: unable to access 'https://x/': Could not resolve host: x", "network", true],
    [
      "fatal: unable to access 'https://127.0.0.1:9/x.git/': Failed to connect to 127.0.0.1 port 9",
      "network",
      true,
    ],
    ["fatal: the remote end hung up unexpectedly", "network", true],
    ["fatal: unable to access 'https://x/': The requested URL returned error: 503", "server", true],
    ["fatal: Authentication failed for 'https://x/'", "auth", false],
    ["fatal: could not read Username for 'https://x': terminal prompts disabled", "auth", false],
    ["fatal: Unable to create '/r/refs/heads/x.lock': File exists.", "locked", true],
    ["fatal: bad object deadbeef", "other", false],
  ] as const)("classifies %j as %s (retryable: %s)", (stderr, kind, retryable) => {
    expect(classifyGitStderr(stderr)).toBe(kind);
    const error = toGitPortError(
      "simple-git",
      { type: "exit", operation: "fetch", exit_code: 128, stderr, stdout: "" },
      redact,
    );
    expect(error).toMatchObject({ kind: "port_failure", detail: { operation: "fetch", retryable } });
  });

  it("maps an abort to cancelled and a silent command to timeout, naming the git subcommand", () => {
    expect(toGitPortError("g", { type: "aborted", operation: "push" }, redact)).toMatchObject({
      kind: "cancelled",
      detail: { operation: "push" },
    });
    expect(toGitPortError("g", { type: "timeout", operation: "fetch", timeout_ms: 9 }, redact)).toMatchObject(
      {
        kind: "timeout",
        detail: { operation: "fetch", timeout_ms: 9 },
      },
    );
  });

  it("says which command failed when git printed nothing", () => {
    const error = toGitPortError(
      "g",
      { type: "exit", operation: "update-ref", exit_code: 1, stderr: "", stdout: "" },
      redact,
    );
    expect(error.detail).toMatchObject({ cause: "git update-ref exited with code 1" });
  });
});

describe("stderr excerpts", () => {
  it("redacts the token, its Basic form and any user:password@ of a URL", () => {
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
    const withBasic = createRedact([TOKEN, basic]);
    const text = `Authorization: Basic ${basic}\nfatal: https://me:${TOKEN}@host/x.git and https://u:pw@host/y`;
    const out = excerpt(text, withBasic);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(basic);
    expect(out).not.toContain("pw@");
    expect(out).toContain("https://[redacted]@host/y");
  });

  it("keeps the last 2 KiB, redacting before cutting so no part of a secret survives", () => {
    const text = `${"x".repeat(5000)}\n${TOKEN}\nfatal: the end`;
    const out = excerpt(text, redact);
    expect(Buffer.byteLength(out, "utf8")).toBeLessThanOrEqual(MAX_CAUSE_BYTES);
    expect(out.endsWith("fatal: the end")).toBe(true);
    expect(out).not.toContain(TOKEN.slice(0, 12));
    const cut = excerpt(`${TOKEN}${"y".repeat(MAX_CAUSE_BYTES - 10)}`, redact);
    expect(cut).not.toContain(TOKEN.slice(-8));
  });

  it("reduces \\r-rewritten progress lines to their last state", () => {
    expect(excerpt("Receiving objects:  10%\rReceiving objects: 100%\nfatal: x", redact)).toBe(
      "Receiving objects: 100%\nfatal: x",
    );
  });
});

describe("the environment git runs with", () => {
  it("builds it from a short list of host variables, never the host's secrets, and shuts git's other config sources", () => {
    const env = baseGitEnv(
      {
        PATH: "/bin",
        HOME: "/h",
        GIT_DIR: "/elsewhere",
        GIT_INDEX_FILE: "/i",
        EDITOR: "vi",
        GIT_PAGER: "less",
        GITHUB_TOKEN: "ghp_host_secret",
        DATABASE_URL: "postgres://u:pw@db/x",
      },
      { GIT_SSH_COMMAND: "ssh -i k", GIT_HTTP_LOW_SPEED_TIME: "60", GIT_DIR: "/configured-too" },
      "/srv/repos",
      120_000,
    );
    expect(env).toEqual({
      PATH: "/bin",
      HOME: "/h",
      GIT_TERMINAL_PROMPT: "0",
      GCM_INTERACTIVE: "never",
      LC_ALL: "C",
      GIT_HTTP_LOW_SPEED_LIMIT: "1",
      GIT_HTTP_LOW_SPEED_TIME: "60",
      GIT_SSH_COMMAND: "ssh -i k",
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_CONFIG_GLOBAL: "/dev/null",
      GIT_NO_REPLACE_OBJECTS: "1",
      GIT_NO_LAZY_FETCH: "1",
      GIT_ATTR_NOSYSTEM: "1",
      GIT_PROTOCOL_FROM_USER: "0",
      GIT_CEILING_DIRECTORIES: "/srv/repos",
      GIT_LITERAL_PATHSPECS: "1",
    });
    expect(baseGitEnv({}, {}, "/r", 120_000).GIT_HTTP_LOW_SPEED_TIME).toBe("125");
  });
});

describe("credentials in the environment", () => {
  const credentials = { username: "x-access-token", token: TOKEN };

  it("scopes the header to an https origin, appended after existing GIT_CONFIG_COUNT entries", () => {
    const env = credentialEnv(credentials, "https://me@git.example.com:8443/acme/shop.git", {
      GIT_CONFIG_COUNT: "2",
    });
    expect(env).toEqual({
      GIT_CONFIG_COUNT: "3",
      GIT_CONFIG_KEY_2: "http.https://git.example.com:8443/.extraHeader",
      GIT_CONFIG_VALUE_2: `Authorization: Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString("base64")}`,
    });
  });

  it.each([
    ["ssh://git@example.com/x.git", null],
    ["git@example.com:acme/x.git", null],
    ["/srv/git/x.git", null],
    ["http://example.com/x.git", null],
    ["http://127.0.0.1:8080/x.git", "http://127.0.0.1:8080"],
    ["https://example.com/x.git", "https://example.com"],
  ])("sends credentials to %s: %s", (url, origin) => {
    expect(credentialOrigin(url)).toBe(origin);
    expect(Object.keys(credentialEnv(credentials, url, {})).length).toBe(origin === null ? 0 : 3);
  });

  it("enables the categories of the adapter's own settings, and beyond them only what the environment needs", () => {
    const own = {
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeCredentialHelper: true,
      allowUnsafeAskPass: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeTemplateDir: true,
    };
    expect(unsafeFlagsFor({ PATH: "/bin" })).toEqual(own);
    expect(unsafeFlagsFor({ GIT_SSH_COMMAND: "ssh", GIT_CONFIG_COUNT: "1" })).toEqual({
      ...own,
      allowUnsafeSshCommand: true,
      allowUnsafeConfigEnvCount: true,
    });
  });
});

describe("plumbing output", () => {
  it("maps every raw status letter, unknown ones to modified", () => {
    expect(["A", "M", "D", "R", "C", "T", "U", "X"].map(mapGitStatus)).toEqual([
      "added",
      "modified",
      "deleted",
      "renamed",
      "copied",
      "type_changed",
      "modified",
      "modified",
    ]);
  });

  it("parses raw diff records, renames with their source path first", () => {
    const out = [
      `:100644 100755 ${SHA_A} ${SHA_A} M\trun.sh`,
      `:100644 100644 ${SHA_A} ${SHA_B} R087\told name.txt\t"new\\nname.txt"`,
      `:000000 120000 ${"0".repeat(40)} ${SHA_B} A\tlink`,
      "",
    ].join("\n");
    const parsed = parseQuotedRawDiff(out);
    expect(parsed.ok && parsed.changes.map((c) => [c.letter, c.score, c.path, c.previous_path])).toEqual([
      ["M", null, "run.sh", null],
      ["R", 87, "new\nname.txt", "old name.txt"],
      ["A", null, "link", null],
    ]);
    expect(parseQuotedRawDiff("not raw output").ok).toBe(false);
  });

  it("parses log records and refuses a broken field count", () => {
    const out = `${SHA_A}\u0000First\n\u00002026-01-01T00:00:00+00:00\u0000${SHA_B}\u0000Second\n\nBody\n\u00002026-01-01T00:00:01+00:00\u0000`;
    expect(parseLog(out)).toEqual([
      { sha: SHA_A, message: "First", committed_at: "2026-01-01T00:00:00+00:00" },
      { sha: SHA_B, message: "Second\n\nBody", committed_at: "2026-01-01T00:00:01+00:00" },
    ]);
    expect(parseLog(`${SHA_A}\u0000only two\u0000`)).toBeNull();
  });
});
