import type { ChangeStatus } from "../../core/schemas/changed-file.js";

/**
 * git's raw-diff status letter as a {@link ChangeStatus}: `A` added, `M` modified, `D` deleted, `R` renamed,
 * `C` copied, `T` type changed (file ↔ symlink ↔ submodule). Anything else (`U` unmerged, `X` unknown, `B`
 * broken pair — none of which `diff-tree` between two commits produces) counts as `modified`, so the change
 * is still reported and judged by its path; the caller keeps modes alongside.
 */
export function mapGitStatus(letter: string): ChangeStatus {
  switch (letter) {
    case "A":
      return "added";
    case "M":
      return "modified";
    case "D":
      return "deleted";
    case "R":
      return "renamed";
    case "C":
      return "copied";
    case "T":
      return "type_changed";
    default:
      return "modified";
  }
}
