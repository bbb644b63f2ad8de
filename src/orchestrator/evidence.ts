import { errAsync, ok, type ResultAsync, safeTry } from "neverthrow";
import { z } from "zod";
import { type RungateError, rungateError } from "../core/errors.js";
import { parseInput } from "../core/parse.js";
import {
  buildEvidence,
  compareEvidence,
  type EvidenceMismatch,
  type PullRequestEvidence,
  splitEvidence,
} from "../core/pull-request/evidence.js";
import type { OrchestratorDeps } from "./deps.js";

/** What {@link verifyEvidence} found. */
export interface EvidenceVerification {
  /** True iff the body's evidence equals what storage says, field by field, and the body above it is unedited. */
  readonly verified: boolean;
  /** The evidence the body claims. */
  readonly claimed: PullRequestEvidence;
  /** The evidence recomputed from storage (with the body's own text for `body_sha256`). */
  readonly recorded: PullRequestEvidence;
  /** Each field that differs; empty when verified. */
  readonly mismatches: EvidenceMismatch[];
}

/** Input of {@link verifyEvidence}: a PR body as the PR host has it now. */
export const VerifyEvidenceInput = z.object({ body: z.string().max(1_000_000) });

/**
 * Checks a PR body's evidence block against storage: the run, card, checks and approvals it names are read
 * again and the evidence recomputed; any edit to the body above the block, to the block, or to those records
 * since (a check result rewritten, an approval added) shows as a mismatch. Fails with `validation`
 * (`no_evidence`) when the body carries no readable block and `not_found` when its run or card is unknown.
 */
export function verifyEvidence(
  deps: OrchestratorDeps,
  input: unknown,
): ResultAsync<EvidenceVerification, RungateError> {
  return safeTry<EvidenceVerification, RungateError>(async function* () {
    const { body } = yield* parseInput(VerifyEvidenceInput, input);
    const split = yield* splitEvidence(body);
    const recorded = yield* evidenceFromStorage(
      deps,
      split.evidence.run_id,
      split.evidence.assignment_id,
      split.body,
    );
    const mismatches = compareEvidence(split.evidence, recorded);
    return ok({ verified: mismatches.length === 0, claimed: split.evidence, recorded, mismatches });
  });
}

/** Input of {@link exportEvidence}. */
export const ExportEvidenceInput = z.object({ assignment_id: z.string().uuid() });

/**
 * The evidence of a card's draft PR as JSON for audits: recomputed from storage, with `body_sha256` over the
 * stored PR description above its evidence block. Fails with `not_found` when the card has no PR candidate.
 */
export function exportEvidence(
  deps: OrchestratorDeps,
  input: unknown,
): ResultAsync<PullRequestEvidence, RungateError> {
  return safeTry<PullRequestEvidence, RungateError>(async function* () {
    const { assignment_id } = yield* parseInput(ExportEvidenceInput, input);
    const assignment = yield* deps.storage.getAssignment(assignment_id);
    const candidate = (yield* deps.storage.listPullRequests(assignment.run_id)).findLast(
      (p) => p.assignment_id === assignment_id,
    );
    if (candidate === undefined) {
      return errAsync(
        rungateError("not_found", "pull_request_not_found", {
          entity: "pull request candidate",
          id: assignment_id,
        }),
      );
    }
    const split = yield* splitEvidence(candidate.description ?? "");
    return evidenceFromStorage(deps, assignment.run_id, assignment_id, split.body);
  });
}

/** The evidence storage holds for one card, with `body` as the text above the block. */
function evidenceFromStorage(
  deps: OrchestratorDeps,
  run_id: string,
  assignment_id: string,
  body: string,
): ResultAsync<PullRequestEvidence, RungateError> {
  return safeTry<PullRequestEvidence, RungateError>(async function* () {
    const run = yield* deps.storage.getRun(run_id);
    const assignment = yield* deps.storage.getAssignment(assignment_id);
    const checks = yield* deps.storage.listChecks(run_id);
    const approvals = yield* deps.storage.listApprovals(run_id);
    // The evidence is of the head the PR proposes, which storage keeps on the candidate.
    const candidate = (yield* deps.storage.listPullRequests(run_id)).findLast(
      (p) => p.assignment_id === assignment_id,
    );
    const head = candidate?.head_sha ?? assignment.head_sha;
    return ok(buildEvidence({ run, assignment: { ...assignment, head_sha: head }, checks, approvals, body }));
  });
}
