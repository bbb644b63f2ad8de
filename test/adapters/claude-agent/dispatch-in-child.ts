// Runs one Claude dispatch in a process of its own and prints its answer: the test that kills the process
// that runs a dispatch mid-session starts this (`node --import tsx dispatch-in-child.ts '<json>'`).
import { createClaudeDispatcher } from "../../../src/adapters/claude-agent/index.js";

const { config, request } = JSON.parse(process.argv[2] ?? "{}");
const result = await createClaudeDispatcher(config).dispatch(request);
process.stdout.write(`${JSON.stringify(result.isOk() ? { ok: result.value } : { error: result.error })}\n`);
