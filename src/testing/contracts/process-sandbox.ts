import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { ProcessSandbox, SandboxedProcessSpec } from "../../ports/process-sandbox.js";
import { okOf, tracePortCalls } from "./port-calls.js";

const run = promisify(execFile);

/** Options of {@link describeProcessSandboxContract}. */
export interface ProcessSandboxContractOptions {
  /** The adapter's name, shown in the suite title. */
  readonly name: string;
  /** Builds the sandbox under test; called once per case. */
  readonly make: () => ProcessSandbox | Promise<ProcessSandbox>;
  /**
   * Whether it contains the process (a real sandbox: writes outside its directories fail). `false` for a
   * stand-in that only records what it was asked (the fake of `rungate/testing`).
   */
  readonly contains: boolean;
}

/** Runs `spec` through `sandbox` (a traced one names `sandbox.wrap` when it answers Err); its stdout. */
async function runWrapped(sandbox: ProcessSandbox, spec: SandboxedProcessSpec): Promise<string> {
  const wrapped = await okOf(sandbox.wrap(spec));
  const [file = "", ...args] = wrapped.argv;
  const { stdout } = await run(file, args, {
    cwd: spec.cwd,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  return stdout;
}

/**
 * The behaviour every {@link ProcessSandbox} must show, as a vitest suite titled
 * `ProcessSandbox contract: <name>`: the wrapped command runs the program in its working directory with its
 * arguments intact, and may write there and in the directories it is given; with `contains`, a write
 * anywhere else fails.
 */
export function describeProcessSandboxContract(options: ProcessSandboxContractOptions): void {
  describe(`ProcessSandbox contract: ${options.name}`, () => {
    /** A fresh sandbox, traced so a failure names the method (`sandbox.wrap`). */
    async function make(): Promise<ProcessSandbox> {
      return tracePortCalls(await options.make(), "sandbox");
    }

    /** A fresh directory holding the working directory, one writable directory and one left alone. */
    async function dirs(): Promise<{ root: string; cwd: string; writable: string; other: string }> {
      const root = await mkdtemp(join(tmpdir(), "rungate-sandbox-contract-"));
      const paths = {
        root,
        cwd: join(root, "cwd"),
        writable: join(root, "writable"),
        other: join(root, "other"),
      };
      await Promise.all([mkdir(paths.cwd), mkdir(paths.writable), mkdir(paths.other)]);
      return paths;
    }

    it("has a name", async () => {
      const sandbox = await options.make();
      expect(sandbox.name.length).toBeGreaterThan(0);
    });

    it("runs the program in its working directory with its arguments intact", async () => {
      const sandbox = await make();
      const { root, cwd } = await dirs();
      try {
        const program = "process.stdout.write(process.cwd() + '|' + process.argv.slice(1).join(','))";
        const out = await runWrapped(sandbox, {
          argv: [process.execPath, "-e", program, "a b", "c'd", "$HOME"],
          cwd,
          writable: [],
          readable: [],
        });
        expect(out).toBe(`${cwd}|a b,c'd,$HOME`);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });

    it("lets the program write its working directory and the directories it is given", async () => {
      const sandbox = await make();
      const { root, cwd, writable } = await dirs();
      try {
        const script = `echo here > here.txt && echo there > ${writable}/there.txt`;
        await runWrapped(sandbox, {
          argv: ["/bin/sh", "-c", script],
          cwd,
          writable: [writable],
          readable: [],
        });
        expect(await readFile(join(cwd, "here.txt"), "utf8")).toBe("here\n");
        expect(await readFile(join(writable, "there.txt"), "utf8")).toBe("there\n");
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });

    it.skipIf(!options.contains)("keeps the program from writing anywhere else", async () => {
      const sandbox = await make();
      const { root, cwd, other } = await dirs();
      try {
        const script = `echo out > ${other}/escaped.txt 2>/dev/null; echo out > ${root}/escaped.txt 2>/dev/null; true`;
        await runWrapped(sandbox, { argv: ["/bin/sh", "-c", script], cwd, writable: [], readable: [] });
        expect(existsSync(join(other, "escaped.txt"))).toBe(false);
        expect(existsSync(join(root, "escaped.txt"))).toBe(false);
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });
  });
}
