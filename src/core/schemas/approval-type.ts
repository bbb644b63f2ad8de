import { z } from "zod";

/**
 * Kinds of approval a person can grant. `create_pr` and `merge_pr` are the ones host apps already store;
 * `code_review`, `protected_path_change` and `dependency_change` are named by an `approval_policy`;
 * `test_change` is asked for when a change weakens tests and the policy's `test_integrity.on_finding` says so.
 */
export const APPROVAL_TYPES = [
  "create_pr",
  "merge_pr",
  "code_review",
  "protected_path_change",
  "dependency_change",
  "test_change",
] as const;

/** One of {@link APPROVAL_TYPES}. */
export const ApprovalType = z.enum(APPROVAL_TYPES);
/** One of {@link APPROVAL_TYPES}. */
export type ApprovalType = z.infer<typeof ApprovalType>;
