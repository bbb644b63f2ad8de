/**
 * The HTTP edge of the host app: rungate's errors as HTTP statuses, JSON replies, and request bodies parsed
 * with zod. rungate answers every failure as a `RungateError` value (it never throws), so one total function
 * decides the status and every error reaches the client with its `kind`, `code`, `message` and `detail`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { err, parseInput, type Result, type RungateError, rungateError } from "rungate";
import type { z } from "zod";

/** The HTTP status of a rungate error. */
export function httpStatusOf(error: RungateError): number {
  switch (error.kind) {
    case "validation":
      return 400;
    case "not_found":
      return 404;
    case "gate_closed": // a gate said no: the reasons say what must happen first
    case "conflict": // a decision already taken, a stale approval, a branch in use
    case "invalid_transition": // the run or card is not in a state that allows it
      return 409;
    case "policy_violation": // well-formed, but the project's policy refuses it
      return 422;
    case "cancelled": // this server stopped the operation (a shutdown): try again
      return 503;
    case "port_failure":
      return error.detail.retryable ? 503 : 502;
    case "timeout":
      return 504;
  }
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/** Sends a rungate error as `{ error: { kind, code, message, detail } }` with its status. */
export function sendError(res: ServerResponse, error: RungateError): void {
  const { kind, code, message, detail } = error;
  sendJson(res, httpStatusOf(error), { error: { kind, code, message, detail } });
}

/** An HTTP-level refusal that is not a rungate error (401, 405, 500), in the same `{ error }` shape. */
export function sendProblem(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { kind: "http", code, message, detail: {} } });
}

/** A request error of this app in rungate's shape, so that clients handle one error format. */
export function invalidRequest(code: string, message: string, path: (string | number)[] = []): RungateError {
  return rungateError("validation", code, { issues: [{ path, code, message }] });
}

/** Bodies are small JSON documents; anything bigger is refused before it is read to the end. */
const MAX_BODY_BYTES = 64 * 1024;

/** The request body parsed as JSON, then with `schema`; an empty body is `{}`. */
export async function readBody<S extends z.ZodType>(
  req: IncomingMessage,
  schema: S,
): Promise<Result<z.infer<S>, RungateError>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      return err(invalidRequest("body_too_large", `the body is over ${MAX_BODY_BYTES} bytes`));
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      return err(invalidRequest("invalid_json", "the body is not JSON"));
    }
  }
  // rungate's own parser: zod's issues become rungate's `validation` error, with a path per issue.
  return parseInput(schema, json, "invalid_body");
}
