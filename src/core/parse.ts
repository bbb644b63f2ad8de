import { err, ok, type Result } from "neverthrow";
import type { z } from "zod";
import { type FieldIssue, rungateError, type ValidationError } from "./errors.js";

/** Turns zod's issues into rungate's {@link FieldIssue}s (path, machine code, sentence). */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.filter((seg): seg is string | number => typeof seg !== "symbol"),
    code: issue.code,
    message: issue.message,
  }));
}

/**
 * Parses `input` with `schema` at a public boundary: the parsed value, or a `validation` error listing every
 * field issue. Never throws.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code = "invalid_input",
): Result<z.infer<S>, ValidationError> {
  const parsed = schema.safeParse(input);
  return parsed.success
    ? ok(parsed.data)
    : err(rungateError("validation", code, { issues: toFieldIssues(parsed.error) }));
}
