import { randomUUID } from "node:crypto";
import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import { errAsync, fromPromise, okAsync, type ResultAsync, SystemPolicyProfile, Uuid } from "../index.js";
import { type CliError, failure, zodUsageError } from "./cli-error.js";

/**
 * `.rungate/project.json`: the one project a state directory belongs to. `project_id` names the git clone
 * under `repos/` and every run; `repo` is the repository it was made for (a state directory serves one);
 * `policy` is the policy the last `rungate run` used (`rungate explain` falls back to it).
 */
export const ProjectFile = z.object({
  version: z.literal(1),
  project_id: Uuid,
  repo: z.string().min(1),
  policy: SystemPolicyProfile,
});
/** Parsed {@link ProjectFile}. */
export type ProjectFile = z.infer<typeof ProjectFile>;

/** A fresh id for a new project or policy. */
export function newId(): string {
  return randomUUID();
}

/** The project file at `path`, or `null` when there is none yet. Unreadable or invalid: a usage error. */
export function readProjectFile(path: string): ResultAsync<ProjectFile | null, CliError> {
  return fromPromise(readFile(path, "utf8"), (cause) => cause as NodeJS.ErrnoException)
    .orElse((cause) =>
      cause.code === "ENOENT" ? okAsync(null) : errAsync(failure(`cannot read ${path}: ${cause.message}`)),
    )
    .andThen((text) => {
      if (text === null) return okAsync(null);
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (cause) {
        return errAsync(failure(`${path} is not JSON: ${(cause as Error).message}`));
      }
      const parsed = ProjectFile.safeParse(raw);
      return parsed.success
        ? okAsync(parsed.data)
        : errAsync(zodUsageError(`${path} is not a rungate project file:`, parsed.error));
    });
}

/** Writes the project file (a temp file renamed over it, so a reader never sees half of one). */
export function writeProjectFile(path: string, project: ProjectFile): ResultAsync<ProjectFile, CliError> {
  const temp = `${path}.${process.pid}.tmp`;
  return fromPromise(
    writeFile(temp, `${JSON.stringify(project, null, 2)}\n`, { mode: 0o600 }).then(() => rename(temp, path)),
    (cause) => failure(`cannot write ${path}: ${(cause as Error).message}`),
  ).map(() => project);
}
