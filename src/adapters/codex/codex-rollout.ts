import { open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { CodexUsage } from "./codex-events.js";

// Codex prints a thread-run's usage once, at the end of its turn (`turn.completed`), and one `codex exec` is
// one turn however many model requests it makes. Its session log ("rollout",
// `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread id>.jsonl`) records a `token_count` after every
// model response, with the thread's totals: reading it while Codex runs is what lets rungate hold an attempt
// to a token or request budget before the turn ends. The log is Codex's internal format: everything here is
// best effort, and without it the budget is checked at the turn's end only.

/** The most bytes read from a session log per poll (a log line can hold a whole command output). */
const MAX_READ_BYTES = 4 * 1024 * 1024;

/** Finds the session log of `threadId` under `codexHome`, newest day first; `null` when there is none (yet). */
export async function findRolloutFile(codexHome: string, threadId: string): Promise<string | null> {
  const suffix = `-${threadId}.jsonl`;
  const sorted = async (dir: string) =>
    (await readdir(dir).catch(() => [] as string[]))
      .filter((name) => /^\d+$/.test(name))
      .sort()
      .reverse();
  const sessions = join(codexHome, "sessions");
  for (const year of await sorted(sessions)) {
    for (const month of await sorted(join(sessions, year))) {
      for (const day of await sorted(join(sessions, year, month))) {
        const dir = join(sessions, year, month, day);
        const names = await readdir(dir).catch(() => [] as string[]);
        const found = names.find((name) => name.startsWith("rollout-") && name.endsWith(suffix));
        if (found) return join(dir, found);
      }
    }
  }
  return null;
}

/** The thread totals a session log line reports, when it is a `token_count` with totals. */
function totalsOf(line: string): CodexUsage | null {
  // Most lines are model input and output: only the few that can be token counts are parsed.
  if (!line.includes('"token_count"')) return null;
  try {
    const record = JSON.parse(line) as {
      payload?: { type?: unknown; info?: { total_token_usage?: unknown } };
    };
    if (record.payload?.type !== "token_count") return null;
    const parsed = CodexUsage.safeParse(record.payload.info?.total_token_usage);
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Reads a session log as it grows. */
export interface RolloutReader {
  /** The thread totals recorded since the last call, oldest first (each is one model response). */
  readNew(): Promise<CodexUsage[]>;
}

/** A {@link RolloutReader} of the log at `path`, from its start. */
export function rolloutReader(path: string): RolloutReader {
  let offset = 0;
  let partial = "";
  // Keeps a character cut at the end of one read for the next.
  const decoder = new StringDecoder("utf8");
  return {
    async readNew() {
      const file = await open(path, "r");
      try {
        const size = (await file.stat()).size;
        const want = Math.min(MAX_READ_BYTES, Math.max(0, size - offset));
        if (want === 0) return [];
        const buffer = Buffer.alloc(want);
        const { bytesRead } = await file.read(buffer, 0, want, offset);
        offset += bytesRead;
        const lines = (partial + decoder.write(buffer.subarray(0, bytesRead))).split("\n");
        partial = lines.pop() ?? "";
        // A line longer than a read is never a token count (those are short): drop what was held of it.
        if (partial.length > MAX_READ_BYTES) partial = "";
        return lines.map(totalsOf).filter((usage): usage is CodexUsage => usage !== null);
      } finally {
        await file.close();
      }
    },
  };
}
