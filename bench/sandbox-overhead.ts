/**
 * What the bubblewrap sandbox adds to starting a process (issue 12), as a plain script:
 * `npx tsx bench/sandbox-overhead.ts`. One run, variants interleaved (machines are noisy: read the ratios):
 * an agent start (`node -e 0`, the smallest node program an agent would be) and a check start (`/bin/true`
 * through `/bin/sh -c`, what a check command line costs at least), each unsandboxed and sandboxed, in a
 * working directory that borrows objects (as rungate's worktrees and check trees do).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execa } from "execa";
import { createBubblewrapSandbox } from "../src/adapters/sandbox/index.js";

const ROUNDS = 40;
const sandbox = createBubblewrapSandbox();
if (sandbox.check().isErr()) throw new Error("bubblewrap is not installed (apt-get install bubblewrap)");
const dir = await mkdtemp(join(tmpdir(), "rungate-bench-sandbox-"));

async function timed(argv: readonly string[], cwd: string): Promise<number> {
  const [file = "", ...args] = argv;
  const start = performance.now();
  await execa(file, args, { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, extendEnv: false });
  return performance.now() - start;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

try {
  const cwd = join(dir, "worktree");
  await mkdir(join(cwd, ".git", "objects", "info"), { recursive: true });
  await mkdir(join(dir, "clone", "objects"), { recursive: true });
  await writeFile(join(cwd, ".git", "objects", "info", "alternates"), `${join(dir, "clone", "objects")}\n`);
  const cases = {
    agent: [process.execPath, "-e", "0"],
    check: ["/bin/sh", "-c", "/bin/true"],
  };
  const samples: Record<string, { plain: number[]; sandboxed: number[] }> = {};
  for (const [what, argv] of Object.entries(cases)) {
    samples[what] = { plain: [], sandboxed: [] };
    const wrapped = sandbox.wrap({ argv, cwd, writable: [], readable: [] })._unsafeUnwrap().argv;
    for (let i = 0; i < ROUNDS; i += 1) {
      samples[what]?.plain.push(await timed(argv, cwd));
      samples[what]?.sandboxed.push(await timed(wrapped, cwd));
    }
  }
  console.log(`\n${ROUNDS} starts each, interleaved; median ms`);
  console.log("| start | unsandboxed | sandboxed | added | ratio |\n|---|---|---|---|---|");
  for (const [what, s] of Object.entries(samples)) {
    const plain = median(s.plain);
    const boxed = median(s.sandboxed);
    console.log(
      `| ${what} | ${plain.toFixed(1)} | ${boxed.toFixed(1)} | ${(boxed - plain).toFixed(1)} | ${(boxed / plain).toFixed(2)}× |`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
