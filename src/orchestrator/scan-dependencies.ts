import { okAsync, ResultAsync } from "neverthrow";
import type { RungateError } from "../core/errors.js";
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

/** What a card's diff did to its `package.json` files, judged against the dependency policy. */
export interface DependencyScan {
  readonly changes: DependencyChange[];
  readonly findings: DependencyFinding[];
  /** Manifests whose new text is not a JSON object (no package manager can read them). */
  readonly unreadable: string[];
}

/**
 * The built-in half of the `dependency` check: every `package.json` the card's diff adds or changes, read at
 * the base and at `head` from the clone (never from the agent's worktree), its dependency sections compared,
 * and the result judged by the policy's `blocked_packages` and `allow_new_dependencies`. Lock files and other
 * ecosystems' manifests are not read yet; their changes still need the `dependency_change` approval when the
 * policy says so.
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
    return files
      .filter((f) => f.status !== "deleted" && (f.path.split("/").at(-1) ?? "") === "package.json")
      .reduce<ResultAsync<DependencyScan, RungateError>>(
        (scan, file) =>
          scan.andThen((sofar) =>
            ResultAsync.combine([read(base, file.previous_path ?? file.path), read(head, file.path)]).map(
              ([before, after]): DependencyScan => {
                const changes = packageJsonChanges(file.path, before, after);
                if (changes === null) return { ...sofar, unreadable: [...sofar.unreadable, file.path] };
                return { ...sofar, changes: [...sofar.changes, ...changes] };
              },
            ),
          ),
        okAsync({ changes: [], findings: [], unreadable: [] }),
      )
      .map((scan) => ({ ...scan, findings: judgeDependencyChanges(scan.changes, policy.dependency_policy) }));
  });
}
