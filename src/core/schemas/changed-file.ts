import { z } from "zod";

/** How a file changed between the base and the head of a feature branch. */
export const CHANGE_STATUSES = ["added", "modified", "deleted", "renamed", "copied", "type_changed"] as const;
/** One of {@link CHANGE_STATUSES}. */
export const ChangeStatus = z.enum(CHANGE_STATUSES);
/** One of {@link CHANGE_STATUSES}. */
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/** One changed file as git reports it; renames and copies carry the path they came from. */
export const ChangedFile = z.object({
  path: z.string(),
  status: ChangeStatus,
  previous_path: z.string().nullable().default(null),
});
/** Parsed {@link ChangedFile}. */
export type ChangedFile = z.infer<typeof ChangedFile>;
