import { describe, expect, it } from "vitest";
import {
  classifyPostgresError,
  mapPostgresCode,
} from "../../../src/adapters/postgres/map-postgres-errors.js";

/** An error shaped like pg's DatabaseError: a message and a SQLSTATE `code`. */
function dbError(code: string, message = "boom"): Error {
  return Object.assign(new Error(message), { code });
}

describe("Postgres error classes", () => {
  it("calls class 53 (insufficient resources) retryable: a full disk or memory may come back", () => {
    for (const code of ["53000", "53100", "53200", "53400"]) {
      expect(mapPostgresCode(code)).toBe("insufficient_resources");
      expect(
        classifyPostgresError(dbError(code, "could not extend file: No space left on device")),
      ).toMatchObject({
        failure: "insufficient_resources",
        retryable: true,
        raw_code: code,
      });
    }
  });

  it("keeps the specific classes it knew, and leaves what it does not know `other`, not retryable", () => {
    expect(mapPostgresCode("53300")).toBe("unavailable");
    expect(mapPostgresCode("40001")).toBe("serialization_failure");
    expect(mapPostgresCode("08006")).toBe("connection");
    expect(classifyPostgresError(dbError("23505"))).toMatchObject({ failure: "other", retryable: false });
  });
});
