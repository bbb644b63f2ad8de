import { describe, expect, it } from "vitest";
import { judgeListing, parseLsRemote } from "../../../src/adapters/simple-git/import-work.js";
import { workTreePaths } from "../../../src/adapters/simple-git/work-tree-state.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

describe("reading an agent's repository listing", () => {
  it("parses ls-remote --symref: HEAD's target and every ref", () => {
    const listing = parseLsRemote(
      `ref: refs/heads/rungate/c1\tHEAD\n${A}\tHEAD\n${A}\trefs/heads/rungate/c1\n${B}\trefs/tags/v1\n`,
    );
    expect(listing.head_target).toBe("refs/heads/rungate/c1");
    expect([...listing.refs]).toEqual([
      ["HEAD", A],
      ["refs/heads/rungate/c1", A],
      ["refs/tags/v1", B],
    ]);
  });

  it("finds nothing wrong with HEAD on the card's branch and no other ref", () => {
    const listing = parseLsRemote(`ref: refs/heads/c1\tHEAD\n${A}\tHEAD\n${A}\trefs/heads/c1\n`);
    expect(judgeListing(listing, "c1")).toEqual([]);
  });

  it("names a HEAD on another branch, a detached HEAD, a missing branch and every foreign ref", () => {
    const other = parseLsRemote(`ref: refs/heads/side\tHEAD\n${A}\trefs/heads/c1\n${B}\trefs/heads/side\n`);
    expect(judgeListing(other, "c1").map((f) => f.code)).toEqual(["wrong_branch", "foreign_refs"]);
    const detached = parseLsRemote(`${A}\tHEAD\n${A}\trefs/heads/c1\n`);
    expect(judgeListing(detached, "c1")).toEqual([
      {
        code: "detached_head",
        message: `the agent left HEAD detached at ${A.slice(0, 12)} instead of on c1`,
      },
    ]);
    const gone = parseLsRemote(`ref: refs/heads/c1\tHEAD\n${B}\trefs/stash\n`);
    const found = judgeListing(gone, "c1");
    expect(found.map((f) => f.code)).toEqual(["wrong_branch", "foreign_refs"]);
    expect(found[1]?.message).toContain("refs/stash");
  });

  it("names at most 20 foreign refs and counts the rest", () => {
    const lines = Array.from({ length: 25 }, (_, i) => `${B}\trefs/tags/t${String(i).padStart(2, "0")}`);
    const listing = parseLsRemote(`ref: refs/heads/c1\tHEAD\n${A}\trefs/heads/c1\n${lines.join("\n")}\n`);
    expect(judgeListing(listing, "c1")[0]?.message).toMatch(/t19 and 5 more$/);
  });
});

describe("reading status under a temporary index", () => {
  it("keeps work-tree changes and untracked paths, never the index column alone", () => {
    const out = ["A  staged-only.txt", " M changed.txt", " D gone.txt", "?? new.txt", "AM both.txt", ""].join(
      "\0",
    );
    expect(workTreePaths(out)).toEqual(["both.txt", "changed.txt", "gone.txt", "new.txt"]);
  });

  it("skips a rename's source record and reads paths with spaces and newlines whole", () => {
    const out = ["R  new name.txt", "old name.txt", " M line\nbreak.txt", ""].join("\0");
    expect(workTreePaths(out)).toEqual(["line\nbreak.txt"]);
  });
});
