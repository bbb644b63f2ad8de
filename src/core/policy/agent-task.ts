import type { CardAssignment } from "../schemas/card-assignment.js";

/**
 * The task text handed to a coding agent: the card, where it may and may not write, the policy's
 * architecture notes (`architecture_policy.notes`) when it has some, and how to finish. Pure; the same
 * assignment and policy always yield the same text, so a re-dispatch gives the agent the same brief.
 */
export function buildAgentTask(
  assignment: Pick<
    CardAssignment,
    "feature_branch" | "allowed_paths" | "forbidden_paths" | "assignment_input_snapshot"
  >,
  policy: { readonly architecture_notes?: string | null } = {},
): string {
  const card = assignment.assignment_input_snapshot as {
    readonly title?: unknown;
    readonly description?: unknown;
  };
  const title = typeof card.title === "string" ? card.title : "(untitled card)";
  const description =
    typeof card.description === "string" && card.description.length > 0 ? `\n\n${card.description}` : "";
  return [
    `# ${title}${description}`,
    "",
    `Work on branch \`${assignment.feature_branch}\` and commit your changes to it before you finish.`,
    `You may only change files matching: ${assignment.allowed_paths.join(", ")}.`,
    assignment.forbidden_paths.length > 0
      ? `Never touch files matching: ${assignment.forbidden_paths.join(", ")}.`
      : "",
    "Changes outside these rules fail the assignment, whatever else they achieve.",
    policy.architecture_notes ? `\nArchitecture notes from the project:\n${policy.architecture_notes}` : "",
  ]
    .filter((line, i, lines) => line !== "" || lines[i - 1] !== "")
    .join("\n");
}
