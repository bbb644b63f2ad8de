import { existsSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it, vi } from "vitest";
import { createProcessCheckRunner } from "../../../src/adapters/process-checks/index.js";
import { createBubblewrapSandbox } from "../../../src/adapters/sandbox/index.js";
import { removeTempDirs, tempDir } from "../simple-git/git-helpers.js";

// Real bubblewrap, real processes, each playing a misbehaving agent or check. Nothing reaches the network.

vi.setConfig({ testTimeout: 60_000 });
afterAll(removeTempDirs);

const sandbox = createBubblewrapSandbox();

/** Runs `script` (sh) sandboxed in a fresh working directory; returns what it printed and where it ran. */
async function sandboxed(
  script: string,
  options: { readable?: string[]; env?: Record<string, string> } = {},
) {
  const dir = await tempDir("rungate-sandbox-");
  const cwd = join(dir, "worktree");
  await mkdir(cwd);
  const wrapped = sandbox
    .wrap({ argv: ["/bin/sh", "-c", script], cwd, writable: [], readable: options.readable ?? [] })
    ._unsafeUnwrap();
  const [file = "", ...args] = wrapped.argv;
  const result = await execa(file, args, {
    cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
    extendEnv: false,
    reject: false,
    all: true,
  });
  return { dir, cwd, output: result.all ?? "", exitCode: result.exitCode };
}

describe("bubblewrap sandbox", () => {
  it("is available on this machine (CI installs bubblewrap)", () => {
    expect(sandbox.check().isOk()).toBe(true);
  });

  it("lets the process write its working directory and nothing else", async () => {
    const { dir, cwd } = await sandboxed(
      [
        "echo ok > inside.txt",
        `echo x > ${"$(dirname $PWD)"}/beside.txt 2>/dev/null`,
        `mkdir -p ${"$(dirname $PWD)"}/clone && echo '[core]' > ${"$(dirname $PWD)"}/clone/config 2>/dev/null`,
        "echo x > /etc/rungate-escape 2>/dev/null",
        "true",
      ].join("; "),
    );
    expect(await readFile(join(cwd, "inside.txt"), "utf8")).toBe("ok\n");
    expect(existsSync(join(dir, "beside.txt"))).toBe(false);
    expect(existsSync(join(dir, "clone", "config"))).toBe(false);
    expect(existsSync("/etc/rungate-escape")).toBe(false);
  });

  it("hides the home directory and gives a private /tmp", async () => {
    const home = homedir();
    const inHome = join(home, `.rungate-sandbox-probe-${process.pid}`);
    const inTmp = join(tmpdir(), `rungate-sandbox-probe-${process.pid}`);
    await writeFile(inHome, "secret-in-home\n");
    await writeFile(inTmp, "secret-in-tmp\n");
    try {
      const { output } = await sandboxed(`cat ${inHome} ${inTmp} 2>&1; true`);
      expect(output).not.toContain("secret-in-home");
      expect(output).not.toContain("secret-in-tmp");
      expect(output).toContain("No such file");
    } finally {
      await rm(inHome, { force: true });
      await rm(inTmp, { force: true });
    }
  });

  it("runs in its own PID namespace: no process outside is visible, the parent's environment unreadable", async () => {
    const token = process.env.RUNGATE_TEST_HOST_DEPLOY_TOKEN ?? "";
    expect(token.length).toBeGreaterThan(8);
    const { output } = await sandboxed(
      "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done 2>/dev/null; echo; ls -d /proc/[0-9]* | wc -l",
    );
    expect(output).not.toContain(token);
    expect(Number(output.trim().split("\n").at(-1))).toBeLessThan(6);
    // The control: outside the sandbox the same read finds it at once.
    const outside = await execa("/bin/sh", ["-c", `tr '\\0' '\\n' < /proc/${process.pid}/environ`]);
    expect(outside.stdout).toContain(token);
  });

  it("has no network by default: a server on the host's loopback cannot be reached", async () => {
    const server = createServer((_req, res) => res.end("reached"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const probe = `${process.execPath} -e "fetch('http://127.0.0.1:${port}').then(r=>r.text()).then(t=>console.log(t)).catch(e=>console.log('refused'))"`;
    try {
      const { output } = await sandboxed(probe);
      expect(output).toContain("refused");
      const host = createBubblewrapSandbox({ network: "host" });
      const wrapped = host
        .wrap({
          argv: ["/bin/sh", "-c", probe],
          cwd: await tempDir("rungate-net-"),
          writable: [],
          readable: [],
        })
        ._unsafeUnwrap();
      const [file = "", ...args] = wrapped.argv;
      expect((await execa(file, args, { reject: false })).stdout).toContain("reached");
    } finally {
      server.close();
    }
  });

  it("kills everything the process started when it ends", async () => {
    const { cwd } = await sandboxed("(sleep 1; echo late > late.txt) & echo started");
    await new Promise((r) => setTimeout(r, 1_800));
    expect(existsSync(join(cwd, "late.txt"))).toBe(false);
  });

  it("refuses to wrap anything when bwrap is missing, and says how to fix it", () => {
    const missing = createBubblewrapSandbox({ bwrap_path: "/nonexistent/bwrap" });
    const error = missing
      .wrap({ argv: ["/bin/true"], cwd: "/tmp", writable: [], readable: [] })
      ._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "port_failure", code: "sandbox_unavailable" });
    expect(error.message).toContain("apt-get install bubblewrap");
    expect(missing.check().isErr()).toBe(true);
  });

  it("refuses bad options when it is made", () => {
    expect(() => createBubblewrapSandbox({ allow_hosts: ["api.anthropic.com"], network: "host" })).toThrow(
      /allow_hosts needs network/,
    );
    expect(() => createBubblewrapSandbox({ allow_hosts: ["https://x.example"] })).toThrow(
      /host or host:port/,
    );
    expect(() => createBubblewrapSandbox({ hide: ["relative/dir"] })).toThrow(/absolute path/);
  });

  it("reaches the allowed host through its proxy, and nothing else, with or without the proxy", async () => {
    const servers = await Promise.all(
      ["allowed", "other"].map(async (name) => {
        const server = createServer((_req, res) => res.end(`reached ${name}`));
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        return { server, port: (server.address() as AddressInfo).port };
      }),
    );
    const [allowed, other] = servers as [(typeof servers)[number], (typeof servers)[number]];
    const egress = createBubblewrapSandbox({ allow_hosts: [`127.0.0.1:${allowed.port}`] });
    const curl = (port: number, extra = "") =>
      `curl -sS --max-time 5 --proxytunnel ${extra} http://127.0.0.1:${port}/ 2>&1; echo " [$?]"`;
    const script = [curl(allowed.port), curl(other.port), curl(allowed.port, "--noproxy '*'")].join("; ");
    try {
      const cwd = await tempDir("rungate-egress-");
      const wrapped = egress
        .wrap({ argv: ["/bin/sh", "-c", script], cwd, writable: [], readable: [] })
        ._unsafeUnwrap();
      const [file = "", ...args] = wrapped.argv;
      const { stdout } = await execa(file, args, {
        cwd,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
        extendEnv: false,
        reject: false,
      });
      const [viaProxy = "", refused = "", direct = ""] = stdout.split("\n");
      expect(viaProxy).toBe("reached allowed [0]");
      expect(refused).toContain("403");
      expect(refused).not.toContain("reached other");
      expect(direct).not.toContain("reached");
    } finally {
      egress.close();
      for (const { server } of servers) server.close();
    }
  });
});

describe("a check runner with a sandbox", () => {
  it("runs the check sandboxed: it cannot write outside its tree", async () => {
    const dir = await tempDir("rungate-sandbox-checks-");
    const tree = join(dir, "tree");
    await mkdir(tree);
    const runner = createProcessCheckRunner({
      checks: { unit: { command: ["/bin/sh", "-c", `echo x > ${dir}/escaped; echo x > inside; echo done`] } },
      sandbox,
    });
    const request = {
      run_id: "r",
      assignment_id: "a",
      check_type: "unit" as const,
      head_sha: "0".repeat(40),
      worktree_path: tree,
    };
    const result = (await runner.run(request))._unsafeUnwrap();
    expect(result.status).toBe("passed");
    expect(existsSync(join(dir, "escaped"))).toBe(false);
    expect(existsSync(join(tree, "inside"))).toBe(true);
  });

  it("answers error and runs nothing when the sandbox cannot run", async () => {
    const dir = await tempDir("rungate-sandbox-missing-");
    const runner = createProcessCheckRunner({
      checks: { unit: { command: ["/bin/sh", "-c", `touch ${dir}/ran`] } },
      sandbox: createBubblewrapSandbox({ bwrap_path: "/nonexistent/bwrap" }),
    });
    const request = {
      run_id: "r",
      assignment_id: "a",
      check_type: "unit" as const,
      head_sha: "0".repeat(40),
      worktree_path: dir,
    };
    const result = (await runner.run(request))._unsafeUnwrap();
    expect(result.status).toBe("error");
    expect(result.output).toContain("sandbox");
    expect(existsSync(join(dir, "ran"))).toBe(false);
  });
});
