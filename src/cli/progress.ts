import { createLogUpdate } from "log-update";
import type { Orchestrator, TypedRunEvent } from "../index.js";
import { formatChecks, formatCost, formatTurns } from "./card-summary.js";
import type { CliIo } from "./io.js";

/** What the live display knows of one card, from the events seen so far. */
interface CardLine {
  title: string;
  phase: string;
  attempt: number;
  /** The newest reported spend of each attempt (execution id → turns, dollars). */
  readonly spend: Map<string, { turns: number | null; cost: number | null }>;
  execution: string | null;
  readonly checks: Map<string, string>;
  last: string;
}

/** A running live display; `stop` ends it once everything it was shown is drawn. */
export interface ProgressDisplay {
  stop(): Promise<void>;
}

const MAX_MESSAGE = 60;

function cut(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function sum(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** A number field of a loosely typed payload object, or `null`. */
function numberField(value: unknown, field: string): number | null {
  const v =
    typeof value === "object" && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  return typeof v === "number" ? v : null;
}

/** One plain sentence per event, for output that is not a terminal. */
function describe(e: TypedRunEvent): string {
  switch (e.event_type) {
    case "run.transitioned":
    case "assignment.transitioned":
      return `${e.event_type.split(".")[0]} ${e.payload.from} → ${e.payload.to}${e.payload.failure ? `: ${e.payload.failure.message}` : ""}`;
    case "agent.dispatched":
      return `agent attempt ${e.payload.attempt} started (${e.payload.dispatcher})`;
    case "agent.progress":
      return `agent: ${cut(e.payload.message, 200)}`;
    case "assignment.changes_collected": {
      const files = e.payload.files.map((f) => `${f.path} (${f.verdict})`).join(", ");
      return `changes: ${files || "none"}; ${e.payload.outcome}`;
    }
    case "check.completed":
      return `check ${e.payload.check_type}: ${e.payload.status}`;
    case "approval.requested":
      return `approval requested: ${e.payload.approval_id} (${e.payload.approval_type})`;
    case "approval.gate_closed":
      return `approval refused: ${e.payload.reasons.map((r) => r.message).join("; ")}`;
    default:
      return e.event_type;
  }
}

/**
 * Follows the live events of every run `orchestrator` writes and shows them: on a terminal, one line per card
 * redrawn in place (phase, attempt, agent turns and cost, checks, the agent's last line); otherwise one plain
 * line per event, so that a log file or a pipe gets a readable history and no escape codes. Turns and cost
 * come from the agent's `usage` progress and the changes it reported; agents that report neither show `–`.
 * `titles` maps the card ids of this invocation to their titles (events carry ids only).
 */
export function startProgress(
  orchestrator: Orchestrator,
  io: CliIo,
  titles: ReadonlyMap<string, string>,
): ProgressDisplay {
  const cards = new Map<string, CardLine>();
  const planned = new Map<string, readonly string[]>();
  const live = io.isTTY ? createLogUpdate(io.stdout) : null;
  const follow = new AbortController();

  const render = () => {
    if (live === null || cards.size === 0) return;
    const width = Math.max(20, ...[...cards.values()].map((c) => c.title.length));
    live(
      [...cards.values()]
        .map((c) => {
          const spend = [...c.spend.values()];
          return [
            c.title.padEnd(width),
            c.phase.padEnd(17),
            `attempt ${c.attempt}`,
            `turns ${formatTurns(sum(spend.map((s) => s.turns)))}`,
            `cost ${formatCost(sum(spend.map((s) => s.cost)))}`,
            `checks ${formatChecks([...c.checks].map(([check_type, status]) => ({ check_type, status })))}`,
            cut(c.last, MAX_MESSAGE),
          ].join("  ");
        })
        .join("\n"),
    );
  };

  const apply = (e: TypedRunEvent) => {
    const card = "assignment_id" in e.payload ? cards.get(String(e.payload.assignment_id)) : undefined;
    switch (e.event_type) {
      case "run.created":
        planned.set(e.run_id, e.payload.planned_checks);
        break;
      case "assignment.created": {
        cards.set(e.payload.assignment_id, {
          title: titles.get(e.payload.card_id) ?? e.payload.card_id,
          phase: "queued",
          attempt: 0,
          spend: new Map(),
          execution: null,
          checks: new Map(),
          last: "",
        });
        break;
      }
      case "assignment.transitioned":
        if (card === undefined) break;
        card.phase = e.payload.to;
        if (e.payload.to === "checking") {
          card.checks.clear();
          for (const t of planned.get(e.run_id) ?? []) card.checks.set(t, "pending");
        }
        if (e.payload.failure) card.last = e.payload.failure.message;
        break;
      case "agent.dispatched":
        if (card === undefined) break;
        card.attempt = e.payload.attempt;
        card.execution = e.payload.execution_id;
        card.spend.set(e.payload.execution_id, { turns: null, cost: null });
        break;
      case "agent.progress":
        if (card === undefined) break;
        card.last = e.payload.message;
        if (e.payload.item?.kind === "usage") {
          card.spend.set(e.payload.execution_id, {
            turns: numberField(e.payload.item, "num_turns"),
            cost: numberField(e.payload.item, "cost_usd"),
          });
        }
        break;
      case "assignment.changes_collected": {
        if (card === undefined || card.execution === null) break;
        const before = card.spend.get(card.execution);
        card.spend.set(card.execution, {
          turns: numberField(e.payload.agent, "num_turns") ?? before?.turns ?? null,
          cost: numberField(e.payload.agent, "cost_usd") ?? before?.cost ?? null,
        });
        break;
      }
      case "check.completed":
        card?.checks.set(e.payload.check_type, e.payload.status);
        break;
      case "approval.requested":
        if (card !== undefined) card.last = `approval requested: ${e.payload.approval_id}`;
        break;
      default:
        break;
    }
  };

  const followed = (async () => {
    for await (const e of orchestrator.events(undefined, { signal: follow.signal })) {
      apply(e);
      if (live !== null) {
        render();
      } else {
        const card = "assignment_id" in e.payload ? cards.get(String(e.payload.assignment_id)) : undefined;
        const who = card?.title ?? `run ${e.run_id.slice(0, 8)}`;
        io.out(`${new Date(e.created_at).toISOString().slice(11, 19)}  ${who}  ${describe(e)}`);
      }
    }
  })();

  return {
    async stop() {
      // Events this process stored are delivered as they are stored; one turn of the loop lets the last ones in.
      await new Promise((r) => setImmediate(r));
      follow.abort();
      await followed.catch(() => undefined);
      if (live !== null) {
        render();
        live.done();
      }
    },
  };
}
