import { err, ok, type Result } from "neverthrow";
import { type GateReason, type InvalidTransitionError, rungateError } from "../errors.js";

/**
 * The shape shared by rungate's lifecycle machines: a transition table as data (`from`, `event`, `to`,
 * `guard`), so the allowed moves can be printed, tested and reasoned about without reading code.
 */

/** One row of a transition table. `guard` names the condition that must hold, or is `null`. */
export interface TransitionRule<State extends string, EventType extends string> {
  readonly from: State;
  readonly event: EventType;
  readonly to: State;
  readonly guard: string | null;
}

/** A whole table, in a stable order (rows are matched top-down; the first row whose guard passes wins). */
export type TransitionTable<State extends string, EventType extends string> = readonly TransitionRule<
  State,
  EventType
>[];

/**
 * Expands `from` lists into single rows; a small helper that keeps the table literal readable while the
 * exported data stays one row per move.
 */
export function rows<State extends string, EventType extends string>(
  from: readonly State[],
  event: EventType,
  to: State,
  guard: string | null = null,
): TransitionRule<State, EventType>[] {
  return from.map((f) => ({ from: f, event, to, guard }));
}

/** The events a table accepts in `state`, in table order, without duplicates (guards are not evaluated). */
export function allowedEventsIn<State extends string, EventType extends string>(
  table: TransitionTable<State, EventType>,
  state: State,
): EventType[] {
  const seen = new Set<EventType>();
  for (const rule of table) if (rule.from === state) seen.add(rule.event);
  return [...seen];
}

/** Renders a table as Markdown (`| from | event | to | guard |`), for the docs and for reviews. */
export function formatTransitionTable<State extends string, EventType extends string>(
  table: TransitionTable<State, EventType>,
): string {
  const lines = ["| from | event | to | guard |", "| --- | --- | --- | --- |"];
  for (const r of table) lines.push(`| ${r.from} | ${r.event} | ${r.to} | ${r.guard ?? ""} |`);
  return lines.join("\n");
}

/** A named guard: the reasons it refuses, empty when it passes. */
export type GuardFn<Rec, Ev> = (record: Rec, event: Ev) => readonly GateReason[];

/**
 * Finds the row that `event` takes from `state`: the first row for that (state, event) whose guard passes.
 * Refuses with `invalid_transition`: `not_allowed` when no row exists (naming the allowed events), or
 * `guard_refused` naming the first guard that said no and its reasons.
 */
export function selectRule<
  State extends string,
  EventType extends string,
  Rec,
  Ev extends { readonly type: EventType },
>(
  machine: "run" | "assignment",
  table: TransitionTable<State, EventType>,
  guards: Readonly<Record<string, GuardFn<Rec, Ev>>>,
  state: State,
  record: Rec,
  event: Ev,
): Result<TransitionRule<State, EventType>, InvalidTransitionError> {
  const allowed = allowedEventsIn(table, state);
  const candidates = table.filter((r) => r.from === state && r.event === event.type);
  if (candidates.length === 0) {
    return err(
      rungateError("invalid_transition", "not_allowed", {
        machine,
        state,
        event: String((event as { type?: unknown }).type),
        allowed_events: allowed,
      }),
    );
  }
  let refused: { guard: string; reasons: readonly GateReason[] } | undefined;
  for (const rule of candidates) {
    const guard = rule.guard === null ? undefined : guards[rule.guard];
    const reasons = guard ? guard(record, event) : [];
    if (reasons.length === 0) return ok(rule);
    refused ??= { guard: rule.guard ?? "", reasons };
  }
  return err(
    rungateError("invalid_transition", "guard_refused", {
      machine,
      state,
      event: event.type,
      allowed_events: allowed,
      guard: refused?.guard ?? "",
      reasons: refused?.reasons ?? [],
    }),
  );
}
