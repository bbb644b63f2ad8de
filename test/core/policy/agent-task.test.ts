import { describe, expect, it } from "vitest";
import { buildAgentTask } from "../../../src/core/policy/agent-task.js";

const assignment = {
  feature_branch: "rungate/c1",
  allowed_paths: ["src/cart/**"],
  forbidden_paths: ["**/.env"],
  assignment_input_snapshot: { title: "Add a cart total", description: "Sum the prices." },
};

describe("buildAgentTask", () => {
  it("gives the card, the branch and the path rules", () => {
    const task = buildAgentTask(assignment);
    expect(task).toContain("# Add a cart total\n\nSum the prices.");
    expect(task).toContain("`rungate/c1`");
    expect(task).toContain("You may only change files matching: src/cart/**.");
    expect(task).toContain("Never touch files matching: **/.env.");
    expect(task).not.toContain("Architecture notes");
  });

  it("carries the policy's architecture notes when it has some", () => {
    const task = buildAgentTask(assignment, {
      architecture_notes: "src/core imports nothing from src/adapters.",
    });
    expect(task).toMatch(
      /Architecture notes from the project:\nsrc\/core imports nothing from src\/adapters\.$/,
    );
  });
});
