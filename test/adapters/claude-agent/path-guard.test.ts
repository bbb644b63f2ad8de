import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bashWriteTargets } from "../../../src/adapters/claude-agent/bash-write-targets.js";
import { createPathGuard, type PathGuard } from "../../../src/adapters/claude-agent/path-guard.js";
import { removeTempDirs, tempDir } from "../process-dispatch/dispatch-fixture.js";

afterAll(removeTempDirs);

const paths = (command: string) => bashWriteTargets(command).map((t) => t.path);

describe("bashWriteTargets: the files a shell command visibly writes", () => {
  it.each([
    ["echo hi > out.txt", ["out.txt"]],
    ["echo hi >> a/b.txt 2>&1", ["a/b.txt"]],
    ["cat x 2> err.log >/dev/null", ["err.log"]],
    ["ls &> all.log", ["all.log"]],
    ["printf x >| forced.txt", ["forced.txt"]],
    ["npm test | tee report.txt", ["report.txt"]],
    ["rm -rf build dist", ["build", "dist"]],
    ["cp -r a b c/dest", ["c/dest"]],
    ["mv old new", ["old", "new"]],
    ["sed -i 's/a/b/' f1 f2", ["f1", "f2"]],
    ["sed -e 's/a/b/' -i f3", ["f3"]],
    ["dd if=/dev/zero of=img.bin bs=1", ["img.bin"]],
    ["chmod +x scripts/run.sh", ["scripts/run.sh"]],
    ["bash -c 'echo x > inner.txt'", ["inner.txt"]],
    ["FOO=1 sudo -u root tee -a /etc/hosts", ["/etc/hosts"]],
    ["timeout 10 touch late.txt", ["late.txt"]],
    ["cat <<EOF > gen.ts\nrm -rf /\nEOF\necho done > done.txt", ["gen.ts", "done.txt"]],
  ])("%j writes %j", (command, expected) => {
    expect(paths(command)).toEqual(expected);
  });

  it.each([
    ["git add -A && git commit -m 'x > y'"],
    ["echo x >&2"],
    ["npm test 2>&1 | head"],
    ["echo '# not a comment' # > no.txt"],
    ["ls > /dev/null"],
  ])("%j writes nothing it can see", (command) => {
    expect(paths(command)).toEqual([]);
  });

  it("follows cd for the targets after it", () => {
    expect(bashWriteTargets("cd src && touch a.ts")).toEqual([{ path: "a.ts", cd: ["src"] }]);
  });
});

describe("createPathGuard", () => {
  async function guard(): Promise<{ guard: PathGuard; worktree: string }> {
    const worktree = await tempDir("rungate-guard-");
    const made = createPathGuard(worktree, {
      allowed: ["src/**"],
      forbidden: ["**/.env", "src/generated/**"],
    });
    return { guard: made._unsafeUnwrap(), worktree };
  }

  it("allows a file tool's write the path rules allow, relative or absolute", async () => {
    const { guard: g, worktree } = await guard();
    expect(g.judge("Write", { file_path: "src/a.ts" })).toEqual({ allow: true });
    expect(g.judge("Edit", { file_path: join(worktree, "src", "b.ts") })).toEqual({ allow: true });
    expect(g.judge("NotebookEdit", { notebook_path: "src/n.ipynb" })).toEqual({ allow: true });
  });

  it("refuses forbidden, outside-allowed, outside-worktree and pathless writes, naming the rule", async () => {
    const { guard: g, worktree } = await guard();
    const reason = (tool: string, input: Record<string, unknown>) => {
      const verdict = g.judge(tool, input);
      return verdict.allow ? null : verdict.reason;
    };
    expect(reason("Write", { file_path: "src/.env" })).toContain('forbidden (rule "**/.env")');
    expect(reason("MultiEdit", { file_path: "src/generated/x.ts" })).toContain('"src/generated/**"');
    expect(reason("Write", { file_path: "README.md" })).toContain("outside_allowed");
    expect(reason("Write", { file_path: "/etc/passwd" })).toContain("outside the worktree");
    expect(reason("Write", { file_path: join(worktree, "..", "x") })).toContain("outside the worktree");
    expect(reason("Write", { file_path: worktree })).toContain("outside the worktree");
    expect(reason("Edit", {})).toContain("without a file_path");
  });

  it("judges the real path behind a symbolic link", async () => {
    const { guard: g, worktree } = await guard();
    await mkdir(join(worktree, "src"), { recursive: true });
    await symlink("..", join(worktree, "src", "up"));
    await symlink("/tmp", join(worktree, "src", "tmp"));
    expect(g.judge("Write", { file_path: "src/up/README.md" }).allow).toBe(false);
    expect(g.judge("Write", { file_path: "src/tmp/x.ts" }).allow).toBe(false);
  });

  it("judges what a Bash command writes, and refuses targets it cannot resolve before they run", async () => {
    const { guard: g } = await guard();
    expect(g.judge("Bash", { command: "npm test > src/out.txt" })).toEqual({ allow: true });
    expect(g.judge("Bash", { command: "git status" })).toEqual({ allow: true });
    expect(g.judge("Bash", { command: "cd src && echo x > .env" })).toMatchObject({
      allow: false,
      path: ".env",
    });
    expect(g.judge("Bash", { command: "echo x > /tmp/elsewhere" })).toMatchObject({ allow: false });
    expect(g.judge("Bash", { command: "echo x > $OUT" })).toMatchObject({ allow: false, path: "$OUT" });
    expect(g.judge("Bash", { command: "touch ~/x" })).toMatchObject({ allow: false });
    expect(g.judge("Bash", {})).toMatchObject({ allow: false });
  });

  it("leaves other tools to the permission mode", async () => {
    const { guard: g } = await guard();
    expect(g.judge("Read", { file_path: "/etc/passwd" })).toEqual({ allow: true });
    expect(g.judge("Grep", { pattern: "x" })).toEqual({ allow: true });
  });

  it("fails on globs the core cannot compile", async () => {
    const worktree = await tempDir("rungate-guard-");
    expect(createPathGuard(worktree, { allowed: ["../x"], forbidden: [] }).isErr()).toBe(true);
  });
});
