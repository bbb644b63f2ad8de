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
  const segments = file.path.split("/");
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
  if (segments.includes(".git") || segments.at(-1) === ".gitmodules") {
    out.push(
      verdict(
        file.path,
        "forbidden",
        "(.git and .gitmodules are forbidden)",
        `${file.path} edits git's own configuration`,
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
