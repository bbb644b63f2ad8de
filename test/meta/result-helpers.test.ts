import * as neverthrow from "neverthrow";
import { describe, expect, it } from "vitest";
import * as rungate from "../../src/index.js";

describe("the Result helpers rungate re-exports", () => {
  it("are neverthrow's own, so an adapter's Results and rungate's come from one copy", () => {
    for (const name of [
      "ok",
      "err",
      "okAsync",
      "errAsync",
      "fromPromise",
      "fromSafePromise",
      "fromThrowable",
      "safeTry",
      "Result",
      "ResultAsync",
    ] as const) {
      expect(rungate[name], name).toBe(neverthrow[name]);
    }
  });

});
