import { realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Result } from "neverthrow";
import type { ValidationError } from "../../core/errors.js";
import { compilePathRules, type PathRules } from "../../core/policy/path-rules.js";
import { bashWriteTargets } from "./bash-write-targets.js";

/** The file tools of Claude Code and the input field naming the file each one writes. */
export const FILE_WRITE_TOOLS: Readonly<Record<string, string>> = {
  Write: "file_path",
  Edit: "file_path",
  MultiEdit: "file_path",
  NotebookEdit: "notebook_path",
};

/** Whether a tool call may go ahead, and when not, the path it aimed at and the rule that refused it. */
export type ToolVerdict =
  | { readonly allow: true }
  | { readonly allow: false; readonly path: string | null; readonly reason: string };

/** Judges tool calls against an assignment's path rules, in its worktree. */
export interface PathGuard {
  /**
   * The verdict on one tool call: a file tool's path, or the files a `Bash` command visibly writes (see
   * `bashWriteTargets`), each judged by the path rules after resolving it in the worktree (symbolic links
   * followed as far as they exist). Other tools are not the guard's to judge: allowed here.
   */
  judge(tool: string, input: Readonly<Record<string, unknown>>): ToolVerdict;
}

/** The real path of `path`: its longest existing ancestor resolved, the rest appended as written. */
function realPath(path: string): string {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      const parent = dirname(at);
      if (parent === at) return path;
      rest.push(basename(at));
      at = parent;
    }
  }
}

/** `path` relative to `root`, or `null` when it is `root` itself or outside it. */
function inside(root: string, path: string): string | null {
  const rel = relative(root, path);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep).join("/");
}

/**
 * A {@link PathGuard} for `worktree` and an assignment's globs (`allowed_paths`, `forbidden_paths`; the
 * forbidden ones already include the policy's). Fails when a glob does not compile.
 */
export function createPathGuard(
  worktree: string,
  globs: { readonly allowed: readonly string[]; readonly forbidden: readonly string[] },
): Result<PathGuard, ValidationError> {
  const root = resolve(worktree);
  const realRoot = realPath(root);
  return compilePathRules({ ...globs, protected: [] }).map((rules) => {
    const judgePath = (raw: string, base: string): ToolVerdict => {
      const lexical = resolve(base, raw);
      const asWritten = inside(root, lexical) ?? inside(realRoot, lexical);
      // The real path too: a symbolic link inside the worktree may point anywhere.
      const real = inside(realRoot, realPath(lexical));
      if (asWritten === null || real === null) {
        return {
          allow: false,
          path: raw,
          reason: `rungate: ${JSON.stringify(raw)} is outside the worktree; only files inside it may be written`,
        };
      }
      for (const path of real === asWritten ? [asWritten] : [asWritten, real]) {
        const verdict = refusal(rules, path);
        if (verdict !== null) return { allow: false, path: raw, reason: verdict };
      }
      return { allow: true };
    };
    return {
      judge(tool, input) {
        const field = FILE_WRITE_TOOLS[tool];
        if (field !== undefined) {
          const path = input[field];
          if (typeof path !== "string" || path.length === 0) {
            return { allow: false, path: null, reason: `rungate: ${tool} was called without a ${field}` };
          }
          return judgePath(path, root);
        }
        if (tool !== "Bash") return { allow: true };
        const command = input.command;
        if (typeof command !== "string")
          return { allow: false, path: null, reason: "rungate: Bash was called without a command" };
        for (const target of bashWriteTargets(command)) {
          const expands = [target.path, ...target.cd].some((w) => /[$`]|^~/.test(w));
          if (expands) {
            return {
              allow: false,
              path: target.path,
              reason: `rungate: the command writes ${JSON.stringify(target.path)}, a path with shell expansion that cannot be judged before it runs; write to a plain path inside the worktree`,
            };
          }
          const base = target.cd.reduce((dir, cd) => resolve(dir, cd), root);
          const verdict = judgePath(target.path, base);
          if (!verdict.allow) return verdict;
        }
        return { allow: true };
      },
    };
  });
}

/** Why the path rules refuse a write to `path` (relative to the worktree), or `null` when they allow it. */
function refusal(rules: PathRules, path: string): string | null {
  const verdict = rules.judge(path);
  if (verdict.verdict === "allowed" || verdict.verdict === "protected") return null;
  return `rungate: ${verdict.verdict} (rule ${JSON.stringify(verdict.rule)}): ${verdict.message}`;
}
