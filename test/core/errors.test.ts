import { describe, expect, it } from "vitest";
import {
  ERROR_KINDS,
  formatError,
  formatPath,
  isRungateError,
  rungateError,
  VIOLATION_CODES,
} from "../../src/index.js";

const sampleDetail = {
  validation: { issues: [{ path: ["cards", 0, "title"], code: "too_small", message: "must not be empty" }] },
  policy_violation: {
    violations: [
      {
        code: "invalid_path",
        path: ["cards", 0],
        value: "../x",
        rule: "traversal",
        message: "cards[0] is unsafe",
      },
    ],
  },
  invalid_transition: { machine: "run", state: "completed", event: "cancel", allowed_events: [] },
  gate_closed: {
    gate: "request_approval",
    reasons: [{ code: "check_missing", subject: "unit", message: 'required check "unit" has no result' }],
  },
  not_found: { entity: "run", id: "r1" },
  conflict: { entity: "run", id: "r1", expected_version: 2, actual_version: 3 },
  port_failure: {
    port: "GitPort",
    adapter: "simple-git",
    operation: "fetch",
    retryable: true,
    cause: "timeout",
  },
  cancelled: { operation: "dispatch" },
  timeout: { operation: "unit check", timeout_ms: 1000 },
} as const;

describe("error union", () => {
  it("has a formatter and a sample for every kind (parity computed from ERROR_KINDS)", () => {
    expect(Object.keys(sampleDetail).sort()).toEqual([...ERROR_KINDS].sort());
    for (const kind of ERROR_KINDS) {
      const message = formatError(kind, "x", sampleDetail[kind] as never);
      expect(message.length, kind).toBeGreaterThan(10);
      expect(message, kind).not.toContain("undefined");
    }
  });

  it("builds errors whose message comes from the formatter and that are recognisable", () => {
    const e = rungateError("conflict", "stale_version", sampleDetail.conflict);
    expect(e.message).toContain("expected version 2, found 3");
    expect(isRungateError(e)).toBe(true);
    expect(isRungateError({ kind: "nope", message: "x" })).toBe(false);
    expect(isRungateError(null)).toBe(false);
  });

  it("names the field and every issue in a validation message", () => {
    const e = rungateError("validation", "invalid_input", sampleDetail.validation);
    expect(e.message).toContain("cards[0].title: must not be empty");
  });

  it("says a terminal state allows nothing", () => {
    const e = rungateError("invalid_transition", "not_allowed", sampleDetail.invalid_transition);
    expect(e.message).toContain("terminal state");
  });

  it("formats field paths with indices", () => {
    expect(formatPath([])).toBe("(input)");
    expect(formatPath(["cards", 2, "allowed_paths", 0])).toBe("cards[2].allowed_paths[0]");
  });

  it("lists violation codes without duplicates", () => {
    expect(new Set(VIOLATION_CODES).size).toBe(VIOLATION_CODES.length);
  });
});
