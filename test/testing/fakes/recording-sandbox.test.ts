import { describe, expect, it } from "vitest";
import { createBubblewrapSandbox } from "../../../src/adapters/sandbox/index.js";
import { describeProcessSandboxContract } from "../../../src/testing/contracts/process-sandbox.js";
import { createRecordingSandbox } from "../../../src/testing/index.js";

describeProcessSandboxContract({
  name: "recording (fake)",
  make: () => createRecordingSandbox(),
  contains: false,
});
describeProcessSandboxContract({ name: "bubblewrap", make: () => createBubblewrapSandbox(), contains: true });

describe("the recording sandbox", () => {
  it("records what it was asked and passes the argv through", () => {
    const sandbox = createRecordingSandbox();
    const spec = { argv: ["/bin/echo", "x"], cwd: "/w", writable: [], readable: ["/ctx"] };
    expect(sandbox.wrap(spec)._unsafeUnwrap().argv).toEqual(["/bin/echo", "x"]);
    expect(sandbox.wrapped).toEqual([spec]);
  });

  it("fails every wrap when made unavailable", () => {
    const error = createRecordingSandbox({ unavailable: true })
      .wrap({ argv: ["/bin/true"], cwd: "/w", writable: [], readable: [] })
      ._unsafeUnwrapErr();
    expect(error).toMatchObject({ kind: "port_failure", code: "sandbox_unavailable" });
  });
});
