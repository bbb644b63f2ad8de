import { actorOf } from "../schemas/actor-id.js";
import type { ApprovalRequest } from "../schemas/approval-request.js";
import type { ApprovalType } from "../schemas/approval-type.js";
import type { ChangeStatus } from "../schemas/changed-file.js";
import type { RunCheckType } from "../schemas/check-type.js";
import type { RunCheck } from "../schemas/run-check.js";
import { canonicalJson } from "../snapshot/canonical-json.js";
import { sha256Hex } from "../snapshot/sha256.js";

/** One changed file as the approval digest sees it: where, how, and the text of its diff against the base. */
export interface ApprovalContentFile {
  readonly path: string;
  readonly previous_path: string | null;
  readonly status: ChangeStatus;
  readonly mode: string | null;
  /** `git diff <base> <head> -- <path>`: its `index` line names blobs, never commits. */
  readonly diff: string;
}

/**
 * What a person approves, independent of commit ids: the base the card started from, every changed file with
 * its diff, the results of the checks on that content, and the hash of the run's policy snapshot.
 */
export interface ApprovalContent {
  readonly base_sha: string | null;
  readonly files: readonly ApprovalContentFile[];
  readonly checks: readonly { readonly check_type: RunCheckType; readonly status: RunCheck["status"] }[];
  readonly policy_snapshot_hash: string | null;
}

const byKey =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

/**
 * The digest an approval is bound to: sha256 of the canonical JSON of {@link ApprovalContent}, with files
 * sorted by path and checks by type, so only content counts. Two heads with the same digest propose the same
 * change (a reworded commit, a rebase onto the same base, squashed commits); any other difference in a file,
 * a check result, the base or the policy gives another digest. Pure.
 */
export function approvalContentDigest(content: ApprovalContent): string {
  const normal = {
    base_sha: content.base_sha,
    files: [...content.files]
      .map((f) => ({
        path: f.path,
        previous_path: f.previous_path,
        status: f.status,
        mode: f.mode,
        diff: f.diff,
      }))
      .sort(byKey((f) => `${f.path}\u0000${f.previous_path ?? ""}`)),
    checks: [...content.checks]
      .map((c) => ({ check_type: c.check_type, status: c.status }))
      .sort(byKey((c) => `${c.check_type}\u0000${c.status}`)),
    policy_snapshot_hash: content.policy_snapshot_hash,
  };
  // Plain strings, nulls and arrays of plain objects: canonical JSON cannot refuse them.
  return sha256Hex(canonicalJson(normal).unwrapOr(JSON.stringify(normal)));
}

/**
 * The approvals of an assignment that carry over to a new head of the same content: per approval kind still
 * needed, the latest one a person approved, whose `content_digest` is `digest`, and that was not itself for
 * `head`. A rejection never carries (a reworded commit may be the answer to it), nor does an approval without
 * a digest (from before digests existed). Pure.
 */
export function carriedApprovals(
  approvals: readonly ApprovalRequest[],
  assignmentId: string,
  head: string,
  digest: string,
  kinds: readonly ApprovalType[],
): ApprovalRequest[] {
  return kinds.flatMap((kind) => {
    const decided = approvals
      .filter((a) => a.assignment_id === assignmentId && a.approval_type === kind && a.resolved_at !== null)
      .sort(byKey((a) => a.resolved_at ?? ""));
    const latest = decided.at(-1);
    const byPerson = latest?.resolved_by != null && actorOf(latest.resolved_by).type === "user";
    return latest !== undefined &&
      latest.status === "approved" &&
      byPerson &&
      latest.head_sha !== head &&
      latest.content_digest === digest
      ? [latest]
      : [];
  });
}
