import { err, ok, type Result } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import { toFieldIssues } from "../../core/parse.js";
import { checkBranchName } from "../../core/policy/branch-names.js";
import { repoUrlProblem } from "../../core/policy/repo-url.js";
import type { PortError } from "../../ports/port-error.js";

/**
 * A project or assignment id as it becomes a directory name: letters, digits, `_` and `-`, starting with a
 * letter or digit, at most 128 characters. No `/`, no `.` (so no `..`, and no clash with the
 * `<project_id>.worktrees` folders next to the clones).
 */
export const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const segment = (what: string) =>
  z
    .string()
    .regex(
      SAFE_SEGMENT,
      `the ${what} must be one path segment: letters, digits, "_" and "-", starting with a letter or digit, at most 128 characters`,
    );

/** A branch name rungate accepts (`checkBranchName`: git's rules plus rungate's safe characters). */
const BranchName = z.string().superRefine((name, ctx) => {
  const checked = checkBranchName(name);
  if (checked.isErr()) ctx.addIssue({ code: "custom", message: checked.error.message });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we refuse.
const CONTROL_OR_SPACE = /[\s\u0000-\u001f\u007f]/;

/** A revision: a branch, `origin/<branch>`, a sha. Never an option (`-…`), never whitespace or control bytes. */
const Ref = z
  .string()
  .min(1, "the ref is empty")
  .max(1024)
  .refine((ref) => !ref.startsWith("-"), "the ref starts with '-', which git would read as an option")
  .refine((ref) => !CONTROL_OR_SPACE.test(ref), "the ref contains whitespace or a control character");

/** A full commit id (SHA-1 or SHA-256), lower-case hex. */
const Sha = z.string().regex(/^([0-9a-f]{40}|[0-9a-f]{64})$/, "expected a full commit sha");

/** Why `path` cannot name a file in a tree: empty, NUL, absolute, or an empty, `.` or `..` segment. */
function repoPathProblem(path: string): string | null {
  if (path.length === 0) return "the path is empty";
  if (path.includes("\u0000")) return "the path contains a NUL character";
  if (path.startsWith("/")) return "the path is absolute; it must be relative to the repository root";
  if (path.split("/").some((s) => s === "" || s === "." || s === ".."))
    return 'the path has an empty, "." or ".." segment';
  return null;
}

/** A path inside the repository as git stores it (spaces, newlines and any Unicode allowed). */
const RepoPath = z.string().superRefine((path, ctx) => {
  const problem = repoPathProblem(path);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

const RepoUrl = z.string().superRefine((url, ctx) => {
  const problem = repoUrlProblem(url);
  if (problem !== null) ctx.addIssue({ code: "custom", message: `the repository URL ${problem}` });
});

const ClonePath = z.string().min(1, "the clone path is empty");

/** The input schema of every port method (and of `prune`). */
export const GitInputs = {
  ensureClone: z.object({ project_id: segment("project id"), repo_url: RepoUrl }),
  createFeatureBranch: z.object({
    clone_path: ClonePath,
    branch: BranchName,
    base_branch: BranchName,
    replace: z.boolean().default(false),
  }),
  createWorktree: z.object({
    clone_path: ClonePath,
    branch: BranchName,
    assignment_id: segment("assignment id"),
  }),
  removeWorktree: z.object({ clone_path: ClonePath, worktree_path: z.string().min(1) }),
  listWorkspaces: z.object({ clone_path: ClonePath }),
  listBranches: z.object({ clone_path: ClonePath }),
  deleteBranch: z.object({ clone_path: ClonePath, branch: BranchName }),
  headSha: z.object({ clone_path: ClonePath, ref: Ref }),
  changedFiles: z.object({ clone_path: ClonePath, base: Ref, head: Ref }),
  fileDiff: z.object({
    clone_path: ClonePath,
    base: Ref,
    head: Ref,
    path: RepoPath,
    text: z.boolean().optional(),
  }),
  fileContent: z.object({ clone_path: ClonePath, ref: Ref, path: RepoPath }),
  commitsSince: z.object({ clone_path: ClonePath, base: Ref, head: Ref }),
  push: z.object({
    clone_path: ClonePath,
    branch: BranchName,
    head_sha: Sha.optional(),
    replaces_sha: Sha.optional(),
  }),
  prune: z.object({ clone_path: ClonePath }),
  importWork: z.object({
    clone_path: ClonePath,
    worktree_path: z.string().min(1),
    branch: BranchName,
    base_sha: Sha,
  }),
  prepareCheckTree: z.object({
    clone_path: ClonePath,
    tree_name: segment("tree name"),
    head_sha: Sha,
  }),
  inspectCheckTree: z.object({ clone_path: ClonePath, tree_path: z.string().min(1), head_sha: Sha }),
  removeCheckTree: z.object({ clone_path: ClonePath, tree_path: z.string().min(1) }),
} as const;

/** The validation code named after the first offending field, like the in-memory fake's. */
const CODE_BY_FIELD: Readonly<Record<string, string>> = {
  project_id: "invalid_project_id",
  repo_url: "invalid_repo_url",
  clone_path: "invalid_clone_path",
  branch: "invalid_branch_name",
  base_branch: "invalid_branch_name",
  assignment_id: "invalid_assignment_id",
  worktree_path: "invalid_worktree_path",
  ref: "invalid_ref",
  base: "invalid_ref",
  head: "invalid_ref",
  path: "invalid_path",
  tree_path: "invalid_tree_path",
  tree_name: "invalid_tree_name",
  base_sha: "invalid_sha",
  head_sha: "invalid_sha",
  replaces_sha: "invalid_sha",
};

/** Parses a port input: the value, or a `validation` error listing every issue, coded by the first field. */
export function parseGitInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
): Result<z.output<S>, PortError> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issues = toFieldIssues(parsed.error);
  const field = issues[0]?.path[0];
  const code = (typeof field === "string" ? CODE_BY_FIELD[field] : undefined) ?? "invalid_input";
  return err(rungateError("validation", code, { issues }));
}

/** A `validation` error about one field. */
export function invalidField(field: string, code: string, message: string): PortError {
  return rungateError("validation", code, { issues: [{ path: [field], code, message }] });
}
