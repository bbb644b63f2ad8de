import { describe, expect, it } from "vitest";
import { exactPath, parseQuotedRawDiff } from "../../../src/adapters/simple-git/git-output.js";
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

describe("names exactly as git has them", () => {
  it("decodes git's quoting: C escapes and octal bytes", () => {
    expect(exactPath('"tab\\there \\"q\\" back\\\\slash\\nline"')).toEqual({
      text: 'tab\there "q" back\\slash\nline',
      bytes_base64: null,
    });
    expect(exactPath('"caf\\303\\251.txt"')).toEqual({ text: "café.txt", bytes_base64: null });
    expect(exactPath("plain/name.ts")).toEqual({ text: "plain/name.ts", bytes_base64: null });
  });

  it("keeps the exact bytes of a name that is not UTF-8, and shows it readably", () => {
    const latin1 = exactPath('"caf\\351.txt"');
    expect(latin1?.text).toBe("caf\uFFFD.txt");
    expect(Buffer.from(latin1?.bytes_base64 ?? "", "base64")).toEqual(
      Buffer.from([99, 97, 102, 0xe9, 46, 116, 120, 116]),
    );
  });

  it("refuses a malformed quote rather than guessing", () => {
    expect(exactPath('"unterminated')).toBeNull();
    expect(exactPath('"bad \\q escape"')).toBeNull();
  });

  it("parses quoted raw diff lines, renames source first", () => {
    const sha = "1".repeat(40);
    const zero = "0".repeat(40);
    const out = `:000000 100644 ${zero} ${sha} A\t"caf\\351.txt"\n:100644 100644 ${sha} ${sha} R100\told.txt\t"n\\tew.txt"\n`;
    const parsed = parseQuotedRawDiff(out);
    if (!parsed.ok) throw new Error(parsed.field);
    expect(parsed.changes.map((c) => [c.letter, c.path, c.previous_path, c.path_bytes !== null])).toEqual([
      ["A", "caf\uFFFD.txt", null, true],
      ["R", "n\tew.txt", "old.txt", false],
    ]);
    expect(parseQuotedRawDiff(`:100644 100644 ${sha} ${sha} M\n`)).toEqual({
      ok: false,
      field: `:100644 100644 ${sha} ${sha} M`,
    });
  });
});
