import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temp directories made by a test file, removed by {@link removeTempDirs}. */
const made: string[] = [];

/** A fresh temp directory (removed in `afterAll` through {@link removeTempDirs}). */
export async function tempDir(prefix = "rungate-checks-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory made by {@link tempDir}. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Writes a CommonJS script into `dir` and answers its path. */
export async function script(dir: string, name: string, source: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, source);
  return path;
}

/**
 * True when `pid` no longer runs: no such process, or a zombie. (In containers whose init does not reap
 * orphans, a killed grandchild stays a zombie forever: dead, but `kill(pid, 0)` still finds it.)
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Polls `condition` every 25 ms until it holds or `ms` pass; answers whether it held. */
export async function eventually(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return condition();
}

/** Reads the `{ child, grandchild }` pids a {@link HANG_SCRIPT} wrote, once the file exists. */
export async function readPids(file: string): Promise<{ child: number; grandchild: number }> {
  if (!(await eventually(() => existsSync(file), 20_000))) throw new Error(`no pid file ${file}`);
  return JSON.parse(readFileSync(file, "utf8")) as { child: number; grandchild: number };
}

/**
 * A script that ignores SIGTERM, starts a grandchild that ignores SIGTERM too and shares its output pipe,
 * writes both pids to the file named by its first argument, prints `ready` and waits forever. Only SIGKILL to
 * the whole process group ends both.
 */
export const HANG_SCRIPT = `
const { spawn } = require("node:child_process");
const { renameSync, writeFileSync } = require("node:fs");
process.on("SIGTERM", () => {});
const grandchild = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);"], { stdio: "inherit" });
writeFileSync(process.argv[2] + ".tmp", JSON.stringify({ child: process.pid, grandchild: grandchild.pid }));
renameSync(process.argv[2] + ".tmp", process.argv[2]);
console.log("ready");
setInterval(() => {}, 1000);
`;
