import type { ApprovalRequest } from "../schemas/approval-request.js";
import type { CardAssignment } from "../schemas/card-assignment.js";
import type { ChangedFile } from "../schemas/changed-file.js";
import type { OrchestrationRun } from "../schemas/orchestration-run.js";
import type { RunCheck } from "../schemas/run-check.js";

/** What a PR candidate's title and body are made of. */
export interface PullRequestBodyInput {
  readonly run: Pick<OrchestrationRun, "id">;
  readonly assignment: Pick<
    CardAssignment,
    "id" | "card_id" | "feature_branch" | "head_sha" | "assignment_input_snapshot"
  >;
  readonly checks: readonly RunCheck[];
  readonly approvals: readonly ApprovalRequest[];
  readonly files: readonly ChangedFile[];
}

/** Changed files listed by name in a PR body; the rest are counted (GitHub refuses bodies over 65,536 characters). */
export const PULL_REQUEST_BODY_FILE_LIMIT = 200;
/** Characters of the card's description kept in a PR body, for the same reason. */
export const PULL_REQUEST_BODY_DESCRIPTION_LIMIT = 20_000;

const shortened = (text: string, limit: number): string =>
  [...text].length <= limit ? text : `${[...text].slice(0, limit - 1).join("")}…`;

/** The PR title: the card's title. */
export function pullRequestTitle(input: Pick<PullRequestBodyInput, "assignment">): string {
  const title = (input.assignment.assignment_input_snapshot as { readonly title?: unknown }).title;
  return typeof title === "string" && title.length > 0 ? title : `Card ${input.assignment.card_id}`;
}

/**
 * The PR body, in Markdown: the card, the checks on the proposed head with their results, the approvals
 * with who decided, and the changed files. Bounded whatever the card's size (the first
 * {@link PULL_REQUEST_BODY_FILE_LIMIT} files by name, the description cut at
 * {@link PULL_REQUEST_BODY_DESCRIPTION_LIMIT} characters), so that a PR host's body limit never refuses it. Pure; tokens or other secrets never enter it because none of
 * its inputs carries one.
 */
export function renderPullRequestBody(input: PullRequestBodyInput): string {
  const head = input.assignment.head_sha ?? "";
  const card = input.assignment.assignment_input_snapshot as { readonly description?: unknown };
  const checks = input.checks.filter((c) => c.assignment_id === input.assignment.id && c.head_sha === head);
  const approvals = input.approvals.filter(
    (a) => a.assignment_id === input.assignment.id && a.head_sha === head,
  );
  return [
    `Proposed by rungate for card \`${input.assignment.card_id}\` (run \`${input.run.id}\`), branch \`${input.assignment.feature_branch}\` at \`${head.slice(0, 12)}\`.`,
    typeof card.description === "string" && card.description.length > 0
      ? `\n${shortened(card.description, PULL_REQUEST_BODY_DESCRIPTION_LIMIT)}`
      : "",
    "\n## Checks",
    ...(checks.length
      ? checks.map(
          (c) =>
            `- ${c.check_type}: **${c.status}**${c.duration_ms === null ? "" : ` (${c.duration_ms} ms)`}`,
        )
      : ["- none"]),
    "\n## Approvals",
    ...(approvals.length
      ? approvals.map(
          (a) =>
            `- ${a.approval_type}: **${a.status}**${a.resolved_by ? ` by ${a.resolved_by}` : ""}${a.notes ? ` — ${a.notes}` : ""}`,
        )
      : ["- none"]),
    "\n## Changed files",
    ...(input.files.length
      ? input.files
          .slice(0, PULL_REQUEST_BODY_FILE_LIMIT)
          .map(
            (f) => `- ${f.status}: \`${f.path}\`${f.previous_path ? ` (from \`${f.previous_path}\`)` : ""}`,
          )
      : ["- none"]),
    ...(input.files.length > PULL_REQUEST_BODY_FILE_LIMIT
      ? [`- … and ${input.files.length - PULL_REQUEST_BODY_FILE_LIMIT} more files (see the PR's diff)`]
      : []),
    "\nThis is a draft. rungate never merges: a person reviews and merges it.",
  ]
    .filter((l) => l !== "")
    .join("\n");
}
