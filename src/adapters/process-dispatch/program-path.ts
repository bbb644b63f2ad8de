import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, resolve } from "node:path";

/** Where a program was found, or why it cannot start (the codes `spawn` would have given). */
export type ProgramPath =
  | { readonly path: string }
  | { readonly code: "ENOENT" | "EACCES"; readonly reason: string };

async function executableFile(path: string): Promise<"yes" | "missing" | "denied"> {
  try {
    if (!(await stat(path)).isFile()) return "missing";
  } catch {
    return "missing";
  }
  try {
    await access(path, constants.X_OK);
    return "yes";
  } catch {
    return "denied";
  }
}

/**
 * The absolute path `spawn` would run for `file`, looked up as execvp does: a name with a `/` relative to
 * `cwd`, else each directory of `PATH` in turn (an empty entry meaning `cwd`). The dispatcher starts agents
 * held behind a shell (see `ProcessSpec.gate`), which would turn a missing program into an ordinary exit
 * code; resolving it first keeps "the agent could not start" an error of its own.
 */
export async function resolveProgram(
  file: string,
  env: Readonly<Record<string, string>>,
  cwd: string,
): Promise<ProgramPath> {
  if (file === "") return { code: "ENOENT", reason: "no program given" };
  const candidates = file.includes("/")
    ? [isAbsolute(file) ? file : resolve(cwd, file)]
    : (env.PATH ?? "").split(delimiter).map((dir) => resolve(cwd, dir === "" ? "." : dir, file));
  let denied = false;
  for (const candidate of candidates) {
    const found = await executableFile(candidate);
    if (found === "yes") return { path: candidate };
    if (found === "denied") denied = true;
  }
  return denied
    ? { code: "EACCES", reason: `${file} is not executable` }
    : { code: "ENOENT", reason: `${file} not found${file.includes("/") ? "" : " on PATH"}` };
}
