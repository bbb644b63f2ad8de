import { describe, expect, it } from "vitest";
import {
  describeDependencyChanges,
  judgeDependencyChanges,
  packageJsonChanges,
} from "../../../src/core/policy/package-json-changes.js";

const manifest = (deps: Record<string, string>, dev: Record<string, string> = {}) =>
  JSON.stringify({ name: "shop", dependencies: deps, devDependencies: dev });

describe("packageJsonChanges", () => {
  it("lists added, removed and changed ranges per section, by name", () => {
    const changes = packageJsonChanges(
      "package.json",
      manifest({ zod: "^4.0.0", lodash: "4.17.21" }, { vitest: "4.1.0" }),
      manifest({ zod: "^4.1.0", "left-pad": "1.3.0" }, { vitest: "4.1.0", "@evil/x": "1.0.0" }),
    );
    expect(changes?.map((c) => [c.section, c.name, c.change, c.from, c.to])).toEqual([
      ["dependencies", "left-pad", "added", null, "1.3.0"],
      ["dependencies", "lodash", "removed", "4.17.21", null],
      ["dependencies", "zod", "changed", "^4.0.0", "^4.1.0"],
      ["devDependencies", "@evil/x", "added", null, "1.0.0"],
    ]);
  });

  it("reads a new manifest as all added, and answers null for one that is not a JSON object", () => {
    expect(packageJsonChanges("a/package.json", null, manifest({ x: "1" }))).toHaveLength(1);
    expect(packageJsonChanges("package.json", manifest({}), "{ not json")).toBeNull();
    expect(packageJsonChanges("package.json", manifest({}), "[]")).toBeNull();
  });
});

describe("judgeDependencyChanges", () => {
  const changes =
    packageJsonChanges(
      "package.json",
      manifest({ event_stream: "3.3.5" }),
      manifest({ "left-pad": "1.3.0", "event-stream": "3.3.6" }),
    ) ?? [];

  it("fails a blocked package added, and any addition when new dependencies are not allowed", () => {
    expect(
      judgeDependencyChanges(changes, {
        allow_new_dependencies: true,
        blocked_packages: ["event-stream"],
      }).map((f) => [f.change.name, f.rule]),
    ).toEqual([["event-stream", "blocked_package"]]);
    expect(
      judgeDependencyChanges(changes, { allow_new_dependencies: false, blocked_packages: [] }).map((f) => [
        f.change.name,
        f.rule,
      ]),
    ).toEqual([
      ["event-stream", "new_dependencies_not_allowed"],
      ["left-pad", "new_dependencies_not_allowed"],
    ]);
    // Removing a blocked package is what the policy wants.
    expect(
      judgeDependencyChanges(changes, { allow_new_dependencies: true, blocked_packages: ["event_stream"] }),
    ).toEqual([]);
  });

  it("describes each change on a line, marking the findings", () => {
    const findings = judgeDependencyChanges(changes, {
      allow_new_dependencies: true,
      blocked_packages: ["left-pad"],
    });
    expect(describeDependencyChanges(changes, findings).split("\n")).toEqual([
      "package.json dependencies: + event-stream@3.3.6",
      "package.json dependencies: - event_stream@3.3.5",
      "package.json dependencies: + left-pad@1.3.0  ✗ blocked_package",
    ]);
  });
});
