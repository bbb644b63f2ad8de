import { describe, expect, it } from "vitest";
import {
  PULL_REQUEST_BODY_FILE_LIMIT,
  renderPullRequestBody,
} from "../../../src/core/pull-request/pull-request-body.js";
import type { ChangedFile } from "../../../src/core/schemas/changed-file.js";

const file = (i: number): ChangedFile => ({
  path: `src/generated/module-${i}-with-a-rather-long-name-to-fill-the-body.ts`,
  status: "added",
  previous_path: null,
  mode: "100644",
  previous_mode: null,
  symlink_target: null,
  path_bytes: null,
  previous_path_bytes: null,
});

const input = (files: ChangedFile[], description = "Add the cart total.") => ({
  run: { id: "00000000-0000-4000-8000-000000000001" },
  assignment: {
    id: "00000000-0000-4000-8000-000000000002",
    card_id: "card-1",
    feature_branch: "rungate/card-1",
    head_sha: "a".repeat(40),
    assignment_input_snapshot: { title: "Cart", description },
  },
  checks: [],
  approvals: [],
  files,
});

describe("renderPullRequestBody stays within what a PR host accepts", () => {
  it("lists every file of an ordinary card", () => {
    const body = renderPullRequestBody(input([file(1), file(2)]));
    expect(body).toContain("module-1-");
    expect(body).toContain("module-2-");
    expect(body).not.toContain("more files");
  });

  it("names the first files of a huge card, counts the rest, and cuts a huge description: under 65,536", () => {
    const files = Array.from({ length: 5_000 }, (_, i) => file(i));
    const body = renderPullRequestBody(input(files, "x".repeat(200_000)));
    expect([...body].length).toBeLessThan(65_536 - 2_000);
    expect(body).toContain(`… and ${5_000 - PULL_REQUEST_BODY_FILE_LIMIT} more files`);
    expect(body).toContain(`module-${PULL_REQUEST_BODY_FILE_LIMIT - 1}-`);
    expect(body).not.toContain(`module-${PULL_REQUEST_BODY_FILE_LIMIT}-`);
  });
});
