import { describe, expect, it } from "vitest";
import { createCardRuns } from "../../src/orchestrator/card-runs.js";

describe("createCardRuns", () => {
  it("remembers each card's run and forgets the oldest first beyond its limit", () => {
    const runs = createCardRuns(2);
    runs.remember([
      { id: "a1", run_id: "r1" },
      { id: "a2", run_id: "r1" },
    ]);
    expect(runs.get("a1")).toBe("r1");
    runs.remember([{ id: "a3", run_id: "r2" }]);
    expect([runs.get("a1"), runs.get("a2"), runs.get("a3")]).toEqual([undefined, "r1", "r2"]);
  });

  it("does not count a card seen again as a new one", () => {
    const runs = createCardRuns(2);
    runs.remember([{ id: "a1", run_id: "r1" }]);
    runs.remember([{ id: "a1", run_id: "r1" }]);
    runs.remember([{ id: "a2", run_id: "r1" }]);
    expect(runs.get("a1")).toBe("r1");
  });

  it("answers nothing for a card never seen", () => {
    expect(createCardRuns().get("unknown")).toBeUndefined();
  });
});
