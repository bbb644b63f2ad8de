#!/usr/bin/env node
// A toy coding agent for the host app's `npm start`: rungate's command dispatcher starts it in the card's
// worktree. It reads the context rungate hands over (RUNGATE_CONTEXT_FILE), writes a module named after the
// card and a test for it, and commits both, as a real agent would. Swap it for Claude Code (rungate/claude),
// Codex (rungate/codex) or any command (rungate/dispatch) without changing the app.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const context = JSON.parse(readFileSync(process.env.RUNGATE_CONTEXT_FILE, "utf8"));
const title = context.task.split("\n")[0].replace(/^#\s*/, "");
const name =
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "") || "card";
const git = (...args) => execFileSync("git", args, { stdio: "pipe" }).toString().trim();

console.log(`working on: ${title}`);
mkdirSync("src/cards", { recursive: true });
mkdirSync("test", { recursive: true });
writeFileSync(`src/cards/${name}.js`, `export const title = ${JSON.stringify(title)};\n`);
writeFileSync(
  `test/${name}.test.js`,
  [
    'import assert from "node:assert/strict";',
    'import { test } from "node:test";',
    `import { title } from "../src/cards/${name}.js";`,
    "",
    `test("the card is named", () => assert.equal(title, ${JSON.stringify(title)}));`,
    "",
  ].join("\n"),
);
git("add", "-A");
git(
  "-c",
  "user.name=toy-agent",
  "-c",
  "user.email=agent@rungate.invalid",
  "commit",
  "-q",
  "-m",
  `agent: ${title}`,
);
console.log(`committed ${git("rev-parse", "--short", "HEAD")} on ${context.assignment.feature_branch}`);
