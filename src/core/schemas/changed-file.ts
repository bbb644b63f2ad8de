import { z } from "zod";

/** How a file changed between the base and the head of a feature branch. */
export const CHANGE_STATUSES = ["added", "modified", "deleted", "renamed", "copied", "type_changed"] as const;
/** One of {@link CHANGE_STATUSES}. */
export const ChangeStatus = z.enum(CHANGE_STATUSES);
/** One of {@link CHANGE_STATUSES}. */
export type ChangeStatus = z.infer<typeof ChangeStatus>;

/** A git file mode: `100644` file, `100755` executable, `120000` symlink, `160000` submodule (gitlink). */
export const GitFileMode = z.string().regex(/^[0-7]{6}$/, "must be a six-digit octal git mode");

/**
 * One changed file as git reports it; renames and copies carry the path they came from. `mode` is the mode
 * at the head (`null` when deleted or unknown), `previous_mode` at the base; a symlink (`120000`) carries
 * the path it points to in `symlink_target`, so the path rules can judge where it leads. A name that is
 * not valid UTF-8 keeps its exact bytes in `path_bytes`.
 */
export const ChangedFile = z.object({
  path: z.string(),
  status: ChangeStatus,
  previous_path: z.string().nullable().default(null),
  mode: GitFileMode.nullable().default(null),
  previous_mode: GitFileMode.nullable().default(null),
  symlink_target: z.string().nullable().default(null),
  /**
   * The exact bytes of `path`, base64, when git's name for the file is not valid UTF-8 (`path` then shows
   * each such byte as U+FFFD); `null` when `path` is exact. Nothing is lost: the name git has is always here.
   */
  path_bytes: z.string().nullable().default(null),
  /** The same for `previous_path`. */
  previous_path_bytes: z.string().nullable().default(null),
});
/** Parsed {@link ChangedFile}. */
export type ChangedFile = z.infer<typeof ChangedFile>;
