// Runs one Codex dispatch in a process of its own, for tests that kill the process running a dispatch:
// `node --import tsx dispatch-child.ts <config json> <request json>`. Prints the result as one JSON line.
import { createCodexDispatcher } from "../../../src/adapters/codex/index.js";

const [config, request] = process.argv.slice(2);
const dispatcher = createCodexDispatcher(JSON.parse(config ?? "{}"));
const result = await dispatcher.dispatch(JSON.parse(request ?? "{}"));
process.stdout.write(`${JSON.stringify(result.isOk() ? { ok: result.value } : { error: result.error })}\n`);
