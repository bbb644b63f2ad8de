import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import { actorOf } from "../core/schemas/actor-id.js";
import type { ApprovalRequest } from "../core/schemas/approval-request.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { Failure } from "../core/schemas/failure.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { Actor } from "../core/schemas/primitives.js";
import { type AssignmentEvent, transitionAssignment } from "../core/state/assignment-machine.js";
import { type RunEventInput, transitionRun } from "../core/state/run-machine.js";
import { nextRunEvent } from "../core/state/run-progress.js";
import type { RunEventDraft, StorageWrite, StorageWriteResult } from "../ports/storage-port.js";
import type { OrchestratorDeps } from "./deps.js";
import { loadRunProgress, loadRunState, type RunProgressState, type RunState } from "./load.js";
import { commit, effectEvents, storedAssignment } from "./persist.js";

/**
 * Moves an assignment through the core machine and stores the new state, its transition event and any
 * `extra` records and events in one atomic write (optimistic on the assignment's version).
 */
export function applyAssignmentEvent(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  assignment: CardAssignment,
  event: AssignmentEvent,
  actor: Actor,
  extra: Omit<StorageWrite, "assignments"> = {},
  /** The state the step read, to move the run in the same write (see {@link commitAdvancing}). */
  advance?: RunProgressState,
): ResultAsync<CardAssignment, RungateError> {
  return applyAssignmentEventStored(deps, run, assignment, event, actor, extra, advance).map(
    (w) => w.assignment,
  );
}

/** {@link applyAssignmentEvent}, answering what the write stored too (e.g. the `extra` records as stored). */
export function applyAssignmentEventStored(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "id" | "project_id">,
  assignment: CardAssignment,
  event: AssignmentEvent,
  actor: Actor,
  extra: Omit<StorageWrite, "assignments"> = {},
  /** The state the step read, to move the run in the same write (see {@link commitAdvancing}). */
  advance?: RunProgressState,
): ResultAsync<{ assignment: CardAssignment; stored: StorageWriteResult; advanced: boolean }, RungateError> {
  const moved = transitionAssignment(assignment, event, deps.clock.now());
  if (moved.isErr()) return errAsync(moved.error);
  const drafts = effectEvents(deps, run, moved.value.effects, actor);
  const next = linkFailure(moved.value.assignment, drafts);
  const write: StorageWrite = {
    ...extra,
    assignments: [{ record: next, expected_version: assignment.version }],
    events: [...drafts, ...(extra.events ?? [])],
  };
  return commitAdvancing(deps, write, advance, actor).map(({ stored, advanced }) => ({
    assignment: storedAssignment(stored, next),
    stored,
    advanced,
  }));
}

/**
 * {@link commit}, moving the run in the same write when that is sure to be right: `state` is ONE consistent read
 * of a run with a single card, and `write` moves exactly that card from the version read (so any other change
 * to the card since fails the write). The run's moves are then decided from `state` with the write applied, as
 * {@link advanceRun} would decide them after the write, and stored with it, the run at the version read: a run
 * changed meanwhile (a cancel) fails that write, and the write goes again without the run, followed by
 * {@link advanceRun}. `advanced` says the run is where its state calls for; when false (no `state`, several
 * cards, …) the caller still calls {@link advanceRun}. Saves a read and a write per step.
 */
export function commitAdvancing(
  deps: OrchestratorDeps,
  write: StorageWrite,
  state: RunProgressState | undefined,
  actor: Actor,
): ResultAsync<{ stored: StorageWriteResult; advanced: boolean }, RungateError> {
  const after = state === undefined ? undefined : stateAfter(state, write);
  if (state === undefined || after === undefined) {
    return commit(deps, write).map((stored) => ({ stored, advanced: false }));
  }
  const plan = planRunMoves(deps, after, actor);
  if (plan === null) return commit(deps, write).map((stored) => ({ stored, advanced: true }));
  const merged: StorageWrite = {
    ...write,
    runs: [{ record: plan.run, expected_version: state.run.version }],
    events: [...(write.events ?? []), ...plan.drafts],
  };
  return commit(deps, merged)
    .map((stored) => ({ stored, advanced: true }))
    .orElse((error) =>
      error.kind === "conflict" && error.code === "stale_version" && error.detail.entity === "run"
        ? commit(deps, write).map((stored) => ({ stored, advanced: false }))
        : errAsync(error),
    );
}

/** `state` with `write` applied, when the write moves the run's only card from the version read; else undefined. */
function stateAfter(state: RunProgressState, write: StorageWrite): RunProgressState | undefined {
  const [only] = state.assignments;
  const [moved] = write.assignments ?? [];
  if (state.assignments.length !== 1 || only === undefined || write.runs !== undefined) return undefined;
  if (write.assignments?.length !== 1 || moved === undefined) return undefined;
  if (moved.record.id !== only.id || moved.expected_version !== only.version) return undefined;
  const approvals = (write.approvals ?? []).map((a) => a.record);
  return {
    ...state,
    assignments: [moved.record],
    checks: [...state.checks, ...(write.checks ?? [])],
    approvals: [
      ...state.approvals.map((a) => approvals.find((b) => b.id === a.id) ?? a),
      ...approvals.filter((b) => !state.approvals.some((a) => a.id === b.id)),
    ],
  };
}

/** The run's moves `state` calls for, made in memory (the run as it ends, and their events); null: none. */
function planRunMoves(
  deps: OrchestratorDeps,
  state: RunProgressState,
  actor: Actor,
): { run: OrchestrationRun; drafts: RunEventDraft[] } | null {
  let run = state.run;
  const drafts: RunEventDraft[] = [];
  for (let step = 0; step < MAX_ADVANCE_STEPS; step++) {
    const move = nextMove({ ...state, run }, actor);
    if (move === null) break;
    const moved = transitionRun(run, move.event, deps.clock.now());
    // A guard that says no means the run stays where it is, as in advanceRun.
    if (moved.isErr()) break;
    const events = effectEvents(deps, run, moved.value.effects, move.actor);
    run = linkFailure(moved.value.run, events);
    drafts.push(...events);
  }
  return drafts.length === 0 && run === state.run ? null : { run, drafts };
}

/** Moves a run through the core machine and stores it with its event (optimistic on its version). */
export function applyRunEvent(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  event: RunEventInput,
  actor: Actor,
): ResultAsync<OrchestrationRun, RungateError> {
  const moved = transitionRun(run, event, deps.clock.now());
  if (moved.isErr()) return errAsync(moved.error);
  const drafts = effectEvents(deps, run, moved.value.effects, actor);
  const next = linkFailure(moved.value.run, drafts);
  return commit(deps, {
    runs: [{ record: next, expected_version: run.version }],
    events: drafts,
  }).map((result) => result.runs.find((r) => r.id === run.id) ?? next);
}

/**
 * Moves a run and some of its cards in ONE write, each optimistic on its version (a run starting to prepare
 * with its queued cards): the run's events first, then each card's, in the order given.
 */
export function applyRunAndCardEvents(
  deps: OrchestratorDeps,
  run: OrchestrationRun,
  event: RunEventInput,
  cards: readonly { readonly assignment: CardAssignment; readonly event: AssignmentEvent }[],
  actor: Actor,
): ResultAsync<{ run: OrchestrationRun; assignments: CardAssignment[] }, RungateError> {
  const now = deps.clock.now();
  const movedRun = transitionRun(run, event, now);
  if (movedRun.isErr()) return errAsync(movedRun.error);
  const runDrafts = effectEvents(deps, run, movedRun.value.effects, actor);
  const nextRun = linkFailure(movedRun.value.run, runDrafts);
  const moves: { record: CardAssignment; expected_version: number; drafts: RunEventDraft[] }[] = [];
  for (const card of cards) {
    const moved = transitionAssignment(card.assignment, card.event, now);
    if (moved.isErr()) return errAsync(moved.error);
    const drafts = effectEvents(deps, run, moved.value.effects, actor);
    moves.push({
      record: linkFailure(moved.value.assignment, drafts),
      expected_version: card.assignment.version,
      drafts,
    });
  }
  return commit(deps, {
    runs: [{ record: nextRun, expected_version: run.version }],
    assignments: moves.map(({ record, expected_version }) => ({ record, expected_version })),
    events: [...runDrafts, ...moves.flatMap((m) => m.drafts)],
  }).map((stored) => ({
    run: stored.runs.find((r) => r.id === run.id) ?? nextRun,
    assignments: moves.map((m) => storedAssignment(stored, m.record)),
  }));
}

/** The record with its new `failure` pointing at the transition event that records it (the first draft). */
function linkFailure<T extends { readonly failure: Failure | null }>(
  record: T,
  drafts: readonly RunEventDraft[],
): T {
  const event = drafts[0];
  if (record.failure === null || record.failure.event_id !== null || event === undefined) return record;
  return { ...record, failure: { ...record.failure, event_id: event.id } };
}

const MAX_ADVANCE_STEPS = 16;

/**
 * Brings a run's phase up to what its assignments call for ({@link nextRunEvent}), one guarded move at a
 * time, and returns the state it ended on. Reads the run's state once; after a move it decides the next one
 * from that state with the stored run, since its own write changed nothing else. Concurrent callers may
 * race on the run's version: a lost race reads again and decides again.
 */
export function advanceRun(
  deps: OrchestratorDeps,
  run_id: string,
  actor: Actor,
): ResultAsync<RunProgressState, RungateError> {
  return advanceLoaded(deps, () => loadRunProgress(deps, run_id), actor);
}

/**
 * {@link advanceRun}, answering everything stored about the run (its moves only change the run, so the state
 * read before them stays true): what a caller about to read the whole state again needs, for one read less.
 */
export function advanceRunState(
  deps: OrchestratorDeps,
  run_id: string,
  actor: Actor,
): ResultAsync<RunState, RungateError> {
  return advanceLoaded(deps, () => loadRunState(deps, run_id), actor);
}

/** Reads with `load`, then moves the run as far as its state calls for. */
function advanceLoaded<S extends RunProgressState>(
  deps: OrchestratorDeps,
  load: () => ResultAsync<S, RungateError>,
  actor: Actor,
): ResultAsync<S, RungateError> {
  return load().andThen((state) => advanceFrom(deps, state, actor, 0, load));
}

/** The run's next move for `state` and who makes it; null: none. */
function nextMove(state: RunProgressState, actor: Actor): { event: RunEventInput; actor: Actor } | null {
  // A run catching up after an interruption attributes approval moves to the person who decided last.
  const last = state.approvals
    .filter((a) => a.resolved_by !== null && a.resolved_at !== null)
    .reduce<ApprovalRequest | undefined>(
      (acc, a) => (acc === undefined || (a.resolved_at ?? "") >= (acc.resolved_at ?? "") ? a : acc),
      undefined,
    );
  const event = nextRunEvent(state.run, state.assignments, {
    checks: state.checks,
    policy: state.policy,
    actor,
    ...(last?.resolved_by ? { decider: actorOf(last.resolved_by) } : {}),
  });
  return event === null ? null : { event, actor: "actor" in event ? event.actor : actor };
}

function advanceFrom<S extends RunProgressState>(
  deps: OrchestratorDeps,
  state: S,
  actor: Actor,
  step: number,
  load: () => ResultAsync<S, RungateError>,
): ResultAsync<S, RungateError> {
  const move = nextMove(state, actor);
  if (move === null || step >= MAX_ADVANCE_STEPS) return okAsync(state);
  return applyRunEvent(deps, state.run, move.event, move.actor)
    .andThen((run) => advanceFrom(deps, { ...state, run }, actor, step + 1, load))
    .orElse((error) => {
      if (error.kind === "conflict" && error.code === "stale_version") {
        return load().andThen((fresh) => advanceFrom(deps, fresh, actor, step + 1, load));
      }
      // A guard that says no means the run stays where it is; that is an answer, not a failure.
      if (error.kind === "invalid_transition") return okAsync(state);
      return errAsync(error);
    });
}
