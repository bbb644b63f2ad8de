import { describe } from "vitest";
import { createRandomIds, createSystemClock } from "../../../src/index.js";
import { describeClockContract, describeIdGeneratorContract } from "../../../src/testing/contracts/index.js";

describe("system adapters", () => {
  describeClockContract({ name: "system clock", make: () => createSystemClock() });
  describeIdGeneratorContract({ name: "random ids", make: () => createRandomIds() });
});
