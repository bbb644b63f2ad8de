import type { ChangedFile } from "../schemas/changed-file.js";
import type { PathVerdict } from "./path-rules.js";

const SYMLINK = "120000";
const GITLINK = "160000";

/**
 * Verdicts about what a change *is*, beyond where it is: a submodule (gitlink) or an edit to `.git` or
 * `.gitmodules` is forbidden (an agent must not rewire where code comes from), and a symlink is judged by
 * where it leads: outside the repository it is an `invalid_path`, into a path the rules forbid it is
 * `forbidden`. `judge` is the path rules' judge, applied to a symlink's resolved target.
 */
export function treeSafetyVerdicts(file: ChangedFile, judge: (path: string) => PathVerdict): PathVerdict[] {
  const out: PathVerdict[] = [];
  if (file.mode === GITLINK || file.previous_mode === GITLINK) {
    out.push(
      verdict(
        file.path,
        "forbidden",
        "(submodules are forbidden)",
        `${file.path} is a submodule; submodule changes are forbidden`,
      ),
    );
  }
  // Both sides: a rename *out of* `.git/` is an edit of it as much as a rename into it.
  for (const side of [file.path, file.previous_path]) {
    if (side === null || !touchesGitMetadata(side)) continue;
    out.push(
      verdict(
        file.path,
        "forbidden",
        "(.git and .gitmodules are forbidden)",
        side === file.path
          ? `${file.path} edits git's own configuration`
          : `${file.path} was renamed from ${side}, which is git's own configuration`,
      ),
    );
    break;
  }
  // A name that is not text cannot be judged by globs written as text: refused, never guessed at.
  if (file.path_bytes !== null || file.previous_path_bytes !== null) {
    out.push(
      verdict(
        file.path,
        "invalid_path",
        "(file name is not valid UTF-8)",
        `${file.path} is named with bytes that are not UTF-8; rungate judges only names it can read`,
      ),
    );
  }
  if (file.mode === SYMLINK && file.symlink_target !== null) {
    const target = resolveLink(file.path, file.symlink_target);
    if (target === null) {
      out.push(
        verdict(
          file.path,
          "invalid_path",
          "(symlink leaves the repository)",
          `${file.path} links to ${file.symlink_target}, outside the repository`,
        ),
      );
    } else {
      const judged = judge(target);
      if (judged.verdict === "forbidden" || judged.verdict === "invalid_path") {
        out.push(
          verdict(
            file.path,
            judged.verdict,
            `symlink to ${target}: ${judged.rule}`,
            `${file.path} links to ${target}, which is ${judged.verdict}`,
          ),
        );
      }
    }
  }
  return out;
}

/**
 * Code points HFS+ ignores in file names (git's `is_hfs_dotgit` list): `.g\u200Cit` is `.git` there.
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/**
 * Whether one path segment names `.git` or `.gitmodules` on some file system git runs on, as git's own
 * `verify_path` and fsck judge them: compared case-insensitively (`.GIT`, `.Gitmodules`), with the code points
 * HFS+ ignores removed, with trailing dots and spaces removed (NTFS drops them: `.git.`, `.git `), and the
 * NTFS 8.3 short names (`git~1`, `gitmod~1`, and git's hashed short name of `.gitmodules`, `gi7eba~1`).
 */
export function isGitMetadataSegment(segment: string): boolean {
  const name = segment
    .replace(HFS_IGNORABLE, "")
    .replace(/[. ]+$/, "")
    .toLowerCase();
  return (
    name === ".git" ||
    name === ".gitmodules" ||
    /^git~\d+$/.test(name) ||
    /^gitmod~\d+$/.test(name) ||
    /^gi7eba~\d+$/.test(name)
  );
}

/** Whether any segment of a repository path is `.git` or `.gitmodules` in a spelling of {@link isGitMetadataSegment}. */
export function touchesGitMetadata(path: string): boolean {
  return path.split("/").some(isGitMetadataSegment);
}

/** The repository path a symlink at `linkPath` resolves to, or `null` when it leaves the repository. */
export function resolveLink(linkPath: string, target: string): string | null {
  if (
    target.startsWith("/") ||
    /^[A-Za-z]:/.test(target) ||
    target.includes("\\") ||
    target.includes("\u0000")
  )
    return null;
  const parts = linkPath.split("/").slice(0, -1);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.length === 0 ? null : parts.join("/");
}

function verdict(path: string, kind: PathVerdict["verdict"], rule: string, message: string): PathVerdict {
  return { path, verdict: kind, rule, message };
}
