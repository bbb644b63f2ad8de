import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "tsup";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The CLI as it ships: bundled by tsup from src/cli/main.ts, then run as `node cli.js …` in child processes
// against a real git repository, with a small node script as the agent. The bundle lives under node_modules
// (gitignored) so that node resolves its external dependencies (commander, PGlite, …) as it does in dist/.
const root = join(import.meta.dirname, "..", "..");
const outDir = join(root, "node_modules", ".cache", "rungate-cli-test", randomUUID());
const cli = join(outDir, "cli.js");
const agent = `node ${join(import.meta.dirname, "fixtures", "agent.mjs")}`;
const hideSdks = join(import.meta.dirname, "fixtures", "hide-sdks.mjs");
/** The escape character every ANSI sequence (colour, cursor movement) starts with. */
const ESC = String.fromCharCode(27);

let work = "";
let repo = "";

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI in `cwd` (default: the work directory), output piped (not a terminal). */
function rungate(
  args: readonly string[],
  options: { cwd?: string; node_args?: string[] } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.node_args ?? []), cli, ...args], {
      cwd: options.cwd ?? work,
      env: { ...process.env, USER: "tester", NO_COLOR: undefined, FORCE_COLOR: undefined },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      // Output that is not a terminal never carries escape codes, whatever the command printed.
      expect(stdout).not.toContain(ESC);
      expect(stderr).not.toContain(ESC);
      resolve({ code, stdout, stderr });
    });
  });
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, stdio: "pipe" }).toString().trim();

/** `rungate show <run> --json`: everything stored about a run, read back through the CLI. */
async function stored(run_id: string) {
  const shown = await rungate(["show", run_id, "--json"]);
  expect(shown.code, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as {
    run: { id: string; phase: string };
    assignments: { id: string; phase: string; feature_branch: string; failure: { kind: string } | null }[];
    checks: { check_type: string; status: string }[];
    approvals: { id: string; status: string; resolved_by: string | null }[];
    pull_requests: { pr_url: string; status: string; head_branch: string }[];
  };
}

/** `rungate runs` (the table): each stored run's id and phase, by the title of its card. */
async function runsByTitle(stateDir = ".rungate"): Promise<Map<string, { id: string; phase: string }>> {
  const listed = await rungate(["runs", "--state-dir", stateDir]);
  expect(listed.code, listed.stderr).toBe(0);
  const rows = listed.stdout.matchAll(
    /│ ([0-9a-f-]{36}) │ [^│]+│ (\S+) +│ ([^│]+?) +│ main │ user:tester │/g,
  );
  return new Map([...rows].map(([, id = "", phase = "", title = ""]) => [title, { id, phase }]));
}

beforeAll(async () => {
  await build({
    config: false,
    entry: { cli: join(root, "src/cli/main.ts") },
    format: ["esm"],
    banner: { js: "#!/usr/bin/env node" },
    dts: false,
    silent: true,
    outDir,
    target: "node20",
    splitting: false,
    clean: false,
  });
  work = mkdtempSync(join(tmpdir(), "rungate-cli-"));
  repo = join(work, "shop");
  mkdirSync(join(repo, "src"), { recursive: true });
  mkdirSync(join(repo, "test"));
  writeFileSync(join(repo, "src", "index.js"), "export const shop = true;\n");
  // The unit check: passes once the agent's feature exists and says something.
  writeFileSync(
    join(repo, "test", "run.mjs"),
    'const { feature } = await import("../src/feature.js");\nprocess.exit(typeof feature === "string" && feature.length > 0 ? 0 : 1);\n',
  );
  git(work, "init", "-q", "-b", "main", repo);
  git(repo, "add", "-A");
  git(repo, "-c", "user.name=ana", "-c", "user.email=ana@shop.invalid", "commit", "-q", "-m", "shop");
}, 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe("rungate CLI (the built binary)", () => {
  it("takes a card to awaiting approval, and `rungate approve` to a draft PR on the local host", async () => {
    const ran = await rungate([
      "run",
      ...["--repo", repo, "--card", "Add a feature", "--card", "Add another feature"],
      ...["--allow", "src/**", "--agent", agent, "--check", "unit=node test/run.mjs"],
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    // One plain line per event while it ran, then the table with the approval ids.
    expect(ran.stdout).toMatch(/Add a feature {2}check unit: passed/);
    expect(ran.stdout).toMatch(
      /│ Add a feature +│ awaiting_approval │ – +│ – +│ policy passed, unit passed │/,
    );
    const next = [
      ...ran.stdout.matchAll(/→ (.+) awaits your approval \(create_pr\): (rungate approve (\S+))$/gm),
    ];
    expect(next.map((m) => m[1]).sort()).toEqual(["Add a feature", "Add another feature"]);

    const runs = await runsByTitle();
    expect(runs.get("Add a feature")?.phase).toBe("awaiting_approval");
    const first = await stored(runs.get("Add a feature")?.id ?? "");
    expect(first.run.phase).toBe("awaiting_approval");
    expect(first.checks.map((c) => `${c.check_type}:${c.status}`).sort()).toEqual([
      "policy:passed",
      "unit:passed",
    ]);
    expect(first.approvals.map((a) => a.status)).toEqual(["pending"]);

    // The exact line the run printed, run as printed.
    const [, , line = "", approvalId = ""] = next.find((m) => m[1] === "Add a feature") ?? [];
    const approved = await rungate([...line.split(" ").slice(1), "--notes", "looks right"]);
    expect(approved.code, approved.stderr).toBe(0);
    const prFile = join(work, ".rungate", "pull-requests", "1.json");
    expect(approved.stdout).toContain(`file://${prFile}`);
    const pr = JSON.parse(readFileSync(prFile, "utf8"));
    const branch = first.assignments[0]?.feature_branch ?? "";
    expect(pr).toMatchObject({
      status: "draft_open",
      base_branch: "main",
      head_branch: branch,
      decided_by: null,
    });
    // The draft PR's branch was pushed to the repository; main did not move.
    expect(git(repo, "rev-parse", branch)).toBe(pr.head_sha);
    expect(git(repo, "log", "--format=%s", "-1", "main")).toBe("shop");

    // `show` reads it all back from the store: the run's phase, the decision, the PR.
    const shown = await rungate(["show", first.run.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^ {2}phase +pr_open \(blocked\)$/m);
    expect(shown.stdout).toMatch(
      new RegExp(`│ ${approvalId} │ Add a feature │ create_pr │ approved │ user:tester │ looks right │`),
    );
    expect(shown.stdout).toMatch(new RegExp(`│ Add a feature │ draft_open │ ${branch} │ file://${prFile} │`));

    // A decision is recorded once.
    const again = await rungate(["approve", approvalId]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("code: conflict/already_decided");

    // The other card: a person cancels its run; its approval can no longer be granted.
    const other = runs.get("Add another feature")?.id ?? "";
    const cancelled = await rungate(["cancel", other]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`run ${other}: cancelled\n  Add another feature: cancelled`);
    const late = await rungate(["approve", next.find((m) => m[1] === "Add another feature")?.[3] ?? ""]);
    expect(late.code).toBe(1);
    expect(existsSync(join(work, ".rungate", "pull-requests", "2.json"))).toBe(false);
    // Six commands, each a process opening the PGlite store (2–5 s under load): 23 s alone, over 60 s beside
    // the multi-process suite.
  }, 180_000);

  it("blocks a card whose agent writes outside --allow or a forbidden .env: exit 1, no approval offered", async () => {
    const ran = await rungate([
      "run",
      ...["--repo", repo, "--card", "Write notes outside", "--card", "Leak a dotenv"],
      ...["--allow", "src/**", "--agent", agent],
    ]);
    expect(ran.code).toBe(1);
    expect(ran.stdout).not.toContain("rungate approve");
    expect(ran.stdout).toContain(
      "✗ Write notes outside: the agent changed paths the rules forbid: docs/notes.md",
    );
    expect(ran.stdout).toContain("✗ Leak a dotenv: the agent changed paths the rules forbid: src/.env");

    const runs = await runsByTitle();
    for (const title of ["Write notes outside", "Leak a dotenv"]) {
      const run = await stored(runs.get(title)?.id ?? "");
      expect(run.run.phase).toBe("failed");
      expect(run.assignments.map((a) => [a.phase, a.failure?.kind])).toEqual([["failed", "path_violation"]]);
      expect(run.approvals).toEqual([]);
    }
    // Nothing to approve: an approval id that is not stored is refused, and no PR is recorded.
    const prs = join(work, ".rungate", "pull-requests");
    const before = existsSync(prs) ? readdirSync(prs).length : 0;
    const refused = await rungate(["approve", randomUUID()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("code: not_found/approval_not_found");
    expect(existsSync(prs) ? readdirSync(prs).length : 0).toBe(before);
  }, 60_000);

  it("explains a policy's verdict and deciding rule for each path", async () => {
    const policy = join(work, "policy.json");
    writeFileSync(
      policy,
      JSON.stringify({
        required_checks: ["policy", "unit"],
        forbidden_paths: ["**/.env"],
        protected_paths: ["src/db/**"],
      }),
    );
    const paths = ["src/a.ts", "src/.env", "docs/x.md", "src/db/schema.sql"];
    const json = await rungate(["explain", "--policy", policy, "--allow", "src/**", "--json", ...paths]);
    expect(json.code, json.stderr).toBe(0);
    const why = JSON.parse(json.stdout) as { paths: { path: string; verdict: string; decided_by: string }[] };
    expect(why.paths.map((p) => [p.path, p.verdict, p.decided_by])).toEqual([
      ["src/a.ts", "allowed", "src/**"],
      ["src/.env", "forbidden", "**/.env"],
      ["docs/x.md", "outside_allowed", "(no allowed glob matched)"],
      ["src/db/schema.sql", "protected", "src/db/**"],
    ]);
    const table = await rungate(["explain", "--policy", policy, "--allow", "src/**", ...paths]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ src\/\.env +│ forbidden +│ \*\*\/\.env +│/);
    expect(table.stdout).toContain("checks that must pass: policy, unit");
  }, 60_000);

  it("answers usage errors with exit 2 and a clear message, before anything is stored", async () => {
    const badPolicy = join(work, "bad-policy.json");
    writeFileSync(badPolicy, JSON.stringify({ required_checks: ["bogus"], forbidden_paths: 3 }));
    const fresh = join(work, "never-made");
    const base = ["run", "--repo", repo, "--card", "x", "--allow", "src/**", "--state-dir", fresh];
    const cases: [string[], RegExp, string[]?][] = [
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["run", "--repo", repo, "--state-dir", fresh], /required option '--card <title>' not specified/],
      [
        [...base, "--agent", agent, "--check", "fast=true"],
        /the check name must be one of dependency, security/,
      ],
      [
        [...base, "--agent", agent, "--policy", badPolicy],
        /required_checks\[0\]: Invalid option.*\n.*forbidden_paths: /,
      ],
      [[...base, "--agent", agent, "--policy", join(work, "missing.json")], /cannot read the policy file/],
      [
        [...base, "--agent", "my-agent --task {task}"],
        /holds \{task\}, which would be pasted into shell code/,
      ],
      [[...base, "--agent", agent, "--base", "nope"], /--base nope: no such branch/],
      [["run", "--repo", work, "--card", "x", "--allow", "a", "--agent", agent], /is not a git repository/],
      [
        [...base, "--agent", "claude"],
        /--agent claude needs @anthropic-ai\/claude-agent-sdk, which is not installed/,
        ["--import", hideSdks],
      ],
      [
        [...base, "--agent", "codex"],
        /--agent codex needs @openai\/codex-sdk, which is not installed/,
        ["--import", hideSdks],
      ],
      [["approve", "not-an-id", "--state-dir", fresh], /approval: must be an id as rungate prints it/],
      [["runs", "--state-dir", fresh], /no rungate state in .*never-made: start with `rungate run`/],
    ];
    const results = await Promise.all(
      cases.map(([args, , node_args]) => rungate(args, node_args ? { node_args } : {})),
    );
    results.forEach((result, i) => {
      const [args, message] = cases[i] ?? [[], /$^/];
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // never a stack trace
    });
    expect(existsSync(fresh)).toBe(false);
  }, 60_000);

  it("refuses to open a state directory another live process holds", async () => {
    const stateDir = join(work, "locked-state");
    mkdirSync(join(stateDir, "store"), { recursive: true });
    writeFileSync(join(stateDir, "lock"), JSON.stringify({ pid: process.pid, command: "run" }));
    const ran = await rungate(["runs", "--state-dir", stateDir]);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(`in use by \`rungate run\` (pid ${process.pid})`);
  }, 60_000);
});
