import * as neverthrow from "neverthrow";
import { describe, expect, it } from "vitest";
import * as rungate from "../../src/index.js";

describe("the Result helpers rungate re-exports", () => {
  it("are neverthrow's own, so an adapter's Results and rungate's come from one copy", () => {
    const pairs: [string, unknown, unknown][] = [
      ["ok", rungate.ok, neverthrow.ok],
      ["err", rungate.err, neverthrow.err],
      ["okAsync", rungate.okAsync, neverthrow.okAsync],
      ["errAsync", rungate.errAsync, neverthrow.errAsync],
      ["fromPromise", rungate.fromPromise, neverthrow.fromPromise],
      ["fromSafePromise", rungate.fromSafePromise, neverthrow.fromSafePromise],
      ["fromThrowable", rungate.fromThrowable, neverthrow.fromThrowable],
      ["safeTry", rungate.safeTry, neverthrow.safeTry],
      ["Result", rungate.Result, neverthrow.Result],
      ["ResultAsync", rungate.ResultAsync, neverthrow.ResultAsync],
    ];
    for (const [name, ours, theirs] of pairs) expect(ours, name).toBe(theirs);
  });
});
