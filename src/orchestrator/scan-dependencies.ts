import { okAsync, ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
import {
  type LockedPackageChange,
  lockFileChanges,
  NPM_LOCK_FILES,
} from "../core/policy/lock-file-changes.js";
import { judgeLockFileChanges, type LockFileFinding } from "../core/policy/lock-file-judgement.js";
import {
  type DependencyChange,
  type DependencyFinding,
  judgeDependencyChanges,
  packageJsonChanges,
} from "../core/policy/package-json-changes.js";
import type { CardAssignment } from "../core/schemas/card-assignment.js";
import type { OrchestrationRun } from "../core/schemas/orchestration-run.js";
import type { SystemPolicyProfile } from "../core/schemas/system-policy-profile.js";
import { cardDiff } from "./card-diff.js";
import type { OrchestratorDeps } from "./deps.js";

/** What a card's diff did to its `package.json` and npm lock files, judged against the dependency policy. */
export interface DependencyScan {
  readonly changes: DependencyChange[];
  readonly findings: DependencyFinding[];
  /** Packages the card's npm lock files now install differently (direct and transitive). */
  readonly lock_changes: LockedPackageChange[];
  readonly lock_findings: LockFileFinding[];
  /** Manifests and lock files whose new text no package manager can read. */
  readonly unreadable: string[];
}

const fileName = (path: string): string => path.split("/").at(-1) ?? "";

/**
 * The built-in half of the `dependency` check: every `package.json` and npm lock file (`package-lock.json`,
 * `npm-shrinkwrap.json`) the card's diff adds or changes, read at the base and at `head` from the clone
 * (never from the agent's worktree), compared, and judged: manifests by `blocked_packages` and
 * `allow_new_dependencies`, lock files by `blocked_packages` (transitive packages too) and
 * `allowed_licenses`. Other ecosystems' manifests are not read yet; their changes still need the
 * `dependency_change` approval when the policy says so.
 */
export function scanDependencies(
  deps: OrchestratorDeps,
  run: Pick<OrchestrationRun, "worktree_root">,
  assignment: CardAssignment,
  policy: SystemPolicyProfile,
  head: string,
  signal: AbortSignal | undefined,
): ResultAsync<DependencyScan, RungateError> {
  return cardDiff(deps, run, assignment, head, signal).andThen(({ clone_path, base, files, opts }) => {
    const read = (ref: string, path: string) => deps.git.fileContent({ clone_path, ref, path }, opts);
    const empty: DependencyScan = {
      changes: [],
      findings: [],
      lock_changes: [],
      lock_findings: [],
      unreadable: [],
    };
    return files
      .filter(
        (f) =>
          f.status !== "deleted" &&
          (fileName(f.path) === "package.json" || NPM_LOCK_FILES.has(fileName(f.path))),
      )
      .reduce<ResultAsync<DependencyScan, RungateError>>(
        (scan, file) =>
          scan.andThen((sofar) =>
            ResultAsync.combine([read(base, file.previous_path ?? file.path), read(head, file.path)]).map(
              ([before, after]): DependencyScan => {
                if (fileName(file.path) !== "package.json") {
                  const locked = lockFileChanges(file.path, before, after);
                  if (locked === null) return { ...sofar, unreadable: [...sofar.unreadable, file.path] };
                  return { ...sofar, lock_changes: [...sofar.lock_changes, ...locked] };
                }
                const changes = packageJsonChanges(file.path, before, after);
                if (changes === null) return { ...sofar, unreadable: [...sofar.unreadable, file.path] };
                return { ...sofar, changes: [...sofar.changes, ...changes] };
              },
            ),
          ),
        okAsync(empty),
      )
      .map((scan) => ({
        ...scan,
        findings: judgeDependencyChanges(scan.changes, policy.dependency_policy),
        lock_findings: judgeLockFileChanges(scan.lock_changes, policy.dependency_policy),
      }));
  });
}
