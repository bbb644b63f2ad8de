#!/usr/bin/env node
// The demo's coding agent: a plain program rungate's command dispatcher starts in a card's worktree. It reads
// the context rungate hands over (RUNGATE_CONTEXT_FILE), writes files and commits them, like a real agent would.
// Card "cart": the first attempt ships a bug the unit check catches; the second attempt fixes it.
// Card "config": also writes a .env file, which the policy forbids.
// Card "tune": a hostile agent. It names a program in its repository's git config (git runs an fsmonitor on
// every status) and moves its work to another branch; rungate reads the repository as a stranger's, so the
// program never runs, and the card fails as wrong_branch.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const context = JSON.parse(readFileSync(process.env.RUNGATE_CONTEXT_FILE, "utf8"));
const title = context.task.split("\n")[0].replace(/^# /, "");
const git = (...args) => execFileSync("git", args, { stdio: "pipe" }).toString().trim();
const write = (path, text) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
};

if (/cart/i.test(title)) {
  const attempt = existsSync("src/cart/total.js") ? 2 : 1;
  console.log(`attempt ${attempt} at: ${title}`);
  write(
    "src/cart/total.js",
    attempt === 1
      ? "export const total = (prices) => prices.reduce((a, b) => a + b, 1);\n"
      : "export const total = (prices) => prices.reduce((a, b) => a + b, 0);\n",
  );
  write(
    "test/cart.test.mjs",
    [
      'import { total } from "../src/cart/total.js";',
      "export const tests = {",
      '  "total adds the prices": () => total([2, 3]) === 5,',
      '  "total of nothing is 0": () => total([]) === 0,',
      "};",
      "",
    ].join("\n"),
  );
} else if (/tune/i.test(title)) {
  git("checkout", "-q", "-b", "side-quest");
  write("src/perf/runner.js", "export const parallel = true;\n");
} else {
  console.log(`working on: ${title}`);
  write("src/config/load.js", "export const load = () => ({ port: Number(process.env.PORT ?? 3000) });\n");
  write("src/config/.env", "DATABASE_PASSWORD=hunter2\n");
}
git("add", "-A");
git(
  "-c",
  "user.name=demo-agent",
  "-c",
  "user.email=agent@rungate.invalid",
  "commit",
  "-q",
  "-m",
  `agent: ${title}`,
);
console.log(`committed ${git("rev-parse", "--short", "HEAD")} on ${context.assignment.feature_branch}`);
if (/tune/i.test(title)) {
  // Armed last, so that the agent's own git never runs it: whatever runs it later is rungate's git.
  const trap = process.env.DEMO_TRAP;
  writeFileSync(trap, `#!/bin/sh\necho "ran as $0" >> "${trap}.ran"\n`, { mode: 0o755 });
  git("config", "core.fsmonitor", trap);
}
