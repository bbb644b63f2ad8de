import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError, type ValidationError } from "../errors.js";
import { newestChecksOfHead } from "../gates/latest.js";
import { parseInput } from "../parse.js";
import type { ApprovalRequest } from "../schemas/approval-request.js";
import { ApprovalType } from "../schemas/approval-type.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import { RunCheckType } from "../schemas/check-type.js";
import type { OrchestrationRun } from "../schemas/orchestration-run.js";
import type { RunCheck } from "../schemas/run-check.js";
import { canonicalJson } from "../snapshot/canonical-json.js";
import { sha256Hex } from "../snapshot/sha256.js";

/**
 * What was decided about a draft PR, in a form a machine can check: the policy snapshot the run was held to,
 * base and head, the content digest the approvals are bound to, each check of the head with its result, each
 * approval with who decided and when, and the sha256 of the PR body above the evidence block (so an edit of
 * the body shows too). Written at the end of every PR body rungate drafts; `verifyEvidence` recomputes it
 * from storage.
 */
export const PullRequestEvidence = z.object({
  rungate_evidence: z.literal(1),
  run_id: z.string(),
  assignment_id: z.string(),
  card_id: z.string(),
  policy_snapshot_hash: z.string().nullable(),
  base_sha: z.string().nullable(),
  head_sha: z.string(),
  content_digest: z.string().nullable(),
  checks: z.array(z.object({ check_type: RunCheckType, status: z.string(), head_sha: z.string() })),
  approvals: z.array(
    z.object({ approval_type: ApprovalType, decided_by: z.string(), decided_at: z.string().nullable() }),
  ),
  body_sha256: z.string(),
});
/** Parsed {@link PullRequestEvidence}. */
export type PullRequestEvidence = z.infer<typeof PullRequestEvidence>;

/** What evidence is built from: stored records and the PR body it will end. */
export interface EvidenceInput {
  readonly run: Pick<OrchestrationRun, "id" | "snapshot_hashes">;
  readonly assignment: Pick<CardAssignment, "id" | "card_id" | "base_sha" | "head_sha">;
  readonly checks: readonly RunCheck[];
  readonly approvals: readonly ApprovalRequest[];
  /** The PR body without the evidence block. */
  readonly body: string;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The evidence of a card's head from its records: the newest result per check type on that head, and the
 * approvals a person granted for it. Pure; the same records give the same evidence.
 */
export function buildEvidence(input: EvidenceInput): PullRequestEvidence {
  const head = input.assignment.head_sha ?? "";
  const granted = input.approvals
    .filter(
      (a) =>
        a.assignment_id === input.assignment.id &&
        a.head_sha === head &&
        a.status === "approved" &&
        a.resolved_by !== null,
    )
    .sort((a, b) => byText(a.approval_type, b.approval_type));
  return {
    rungate_evidence: 1,
    run_id: input.run.id,
    assignment_id: input.assignment.id,
    card_id: input.assignment.card_id,
    policy_snapshot_hash: input.run.snapshot_hashes?.system_policy ?? null,
    base_sha: input.assignment.base_sha,
    head_sha: head,
    content_digest: granted.find((a) => a.content_digest !== null)?.content_digest ?? null,
    checks: newestChecksOfHead(input.checks, input.assignment.id, head).map((c) => ({
      check_type: c.check_type,
      status: c.status,
      head_sha: head,
    })),
    approvals: granted.map((a) => ({
      approval_type: a.approval_type,
      decided_by: a.resolved_by ?? "",
      decided_at: a.resolved_at,
    })),
    body_sha256: sha256Hex(input.body),
  };
}

const OPEN = "<details><summary>rungate evidence</summary>\n\n```json rungate-evidence\n";
const CLOSE = "\n```\n\n</details>";

/** The evidence as it ends a PR body: a collapsed block with one line of canonical JSON. */
export function renderEvidenceBlock(evidence: PullRequestEvidence): string {
  // Strings, nulls, numbers and arrays of plain objects: canonical JSON cannot refuse them.
  return `\n\n${OPEN}${canonicalJson(evidence).unwrapOr(JSON.stringify(evidence))}${CLOSE}`;
}

/**
 * Splits a PR body into the part above the evidence block and the evidence it carries. Fails with a
 * `validation` error (`no_evidence`) when the body has no block, or one that does not parse.
 */
export function splitEvidence(
  body: string,
): Result<{ readonly body: string; readonly evidence: PullRequestEvidence }, ValidationError> {
  const start = body.lastIndexOf(`\n\n${OPEN}`);
  const end = body.lastIndexOf(CLOSE);
  const refuse = (message: string) =>
    err(
      rungateError("validation", "no_evidence", {
        issues: [{ path: ["body"], code: "no_evidence", message }],
      }),
    );
  if (start < 0 || end < start) return refuse("the body carries no rungate evidence block");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.slice(start + 2 + OPEN.length, end));
  } catch {
    return refuse("the evidence block is not JSON");
  }
  return parseInput(PullRequestEvidence, parsed, "no_evidence").andThen((evidence) =>
    body.slice(end + CLOSE.length).trim() === ""
      ? ok({ body: body.slice(0, start), evidence })
      : refuse("text follows the evidence block"),
  );
}

/** One field where claimed evidence and the records disagree. */
export interface EvidenceMismatch {
  readonly field: keyof PullRequestEvidence;
  readonly claimed: unknown;
  readonly recorded: unknown;
}

/** Every top-level field where `claimed` differs from `recorded` (compared as canonical JSON). Pure. */
export function compareEvidence(
  claimed: PullRequestEvidence,
  recorded: PullRequestEvidence,
): EvidenceMismatch[] {
  const text = (v: unknown) => canonicalJson(v).unwrapOr(JSON.stringify(v));
  return (Object.keys(recorded) as (keyof PullRequestEvidence)[])
    .filter((field) => text(claimed[field]) !== text(recorded[field]))
    .map((field) => ({ field, claimed: claimed[field], recorded: recorded[field] }));
}
