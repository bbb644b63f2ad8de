import type { z } from "zod";
import { formatPath } from "../core/errors.js";
import { toFieldIssues } from "../core/parse.js";

/** A zod error as one sentence for the report: every issue, `field: message`, joined by `; `. */
export function describeIssues(error: z.ZodError): string {
  return toFieldIssues(error)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
    .join("; ");
}
