import { describe, expect, it } from "vitest";
import * as root from "../../src/index.js";
import * as contracts from "../../src/testing/contracts/index.js";
import * as testing from "../../src/testing/index.js";

// Pins the runtime public surface: an accidental export or removal changes these files and fails review.
describe("public exports", () => {
  it("rungate", async () => {
    await expect(`${Object.keys(root).sort().join("\n")}\n`).toMatchFileSnapshot("./public-api/rungate.txt");
  });
  it("rungate/testing", async () => {
    await expect(`${Object.keys(testing).sort().join("\n")}\n`).toMatchFileSnapshot(
      "./public-api/testing.txt",
    );
  });
  it("rungate/testing/contracts", async () => {
    await expect(`${Object.keys(contracts).sort().join("\n")}\n`).toMatchFileSnapshot(
      "./public-api/testing-contracts.txt",
    );
  });
});
