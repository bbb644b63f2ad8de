import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { AgentProgress, AgentProgressItem } from "../ports/agent-dispatcher.js";
import type { OrchestratorDeps } from "./deps.js";
import { commit, eventDraft, systemActor } from "./persist.js";

/** Longest progress line stored; agents print whole files on one line at times. */
const MAX_LINE = 2_000;

/** A line cut to {@link MAX_LINE}. */
function bounded(text: string): string {
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text;
}

/** A progress item with its free-text fields cut to {@link MAX_LINE}. */
function boundedItem(item: AgentProgressItem): AgentProgressItem {
  switch (item.kind) {
    case "message":
      return { kind: "message", text: bounded(item.text) };
    case "tool_call":
      return { kind: "tool_call", tool: bounded(item.tool), input: bounded(item.input) };
    case "file_edit":
      return { kind: "file_edit", path: bounded(item.path), change: item.change };
    case "command":
      return { kind: "command", command: bounded(item.command), exit_code: item.exit_code };
    case "usage":
      return item;
  }
}

/** Turns an agent's progress lines into stored `agent.progress` events, at most one per interval. */
export interface ProgressEvents {
  /** The dispatcher's `onProgress`. */
  readonly onProgress: (progress: AgentProgress) => void;
  /** Writes the line still held back, and waits for every write to land. */
  flush(): Promise<void>;
}

/**
 * Records an attempt's progress as `agent.progress` events: the first line at once, then at most one every
 * `interval_ms` (the newest line of the interval; `dropped` counts those skipped), each written through the
 * one redaction boundary like every other event. Writing is best effort: a failed write loses a line, never
 * the attempt. `interval_ms: 0` records every line; `null` records none.
 */
export function progressEvents(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  ids: { readonly assignment_id: string; readonly execution_id: string },
  interval_ms: number | null,
): ProgressEvents {
  let chain: Promise<void> = Promise.resolve();
  let last = Number.NEGATIVE_INFINITY;
  let held: AgentProgress | null = null;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const write = (progress: AgentProgress) => {
    const skipped = dropped;
    dropped = 0;
    last = Date.now();
    const draft = eventDraft(deps, run, "agent.progress", systemActor(deps), {
      ...ids,
      message: bounded(progress.message),
      dropped: skipped,
      ...(progress.item === undefined ? {} : { item: boundedItem(progress.item) }),
    });
    chain = chain.then(() => commit(deps, { events: [draft] }).then(() => undefined));
  };
  const release = () => {
    timer = null;
    if (held === null) return;
    const progress = held;
    held = null;
    write(progress);
  };

  return {
    onProgress(progress) {
      if (interval_ms === null) return;
      const wait = last + interval_ms - Date.now();
      if (wait <= 0 && timer === null) return write(progress);
      if (held !== null) dropped++;
      held = progress;
      timer ??= setTimeout(release, Math.max(0, wait));
    },
    async flush() {
      if (timer !== null) clearTimeout(timer);
      release();
      await chain;
    },
  };
}
