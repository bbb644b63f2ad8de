/** One line a diff adds: its number in the new file (from 1) and its text, without the leading `+`. */
export interface AddedLine {
  readonly line: number;
  readonly text: string;
}

const HUNK = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/**
 * The lines a unified diff (`git diff`, one file) adds, numbered as in the new file. Only lines inside hunks
 * count, so the `+++ b/path` header never passes for content; `\ No newline at end of file` is skipped. A
 * diff without hunks (a binary file, a pure rename) adds nothing.
 */
export function diffAddedLines(diff: string): AddedLine[] {
  const added: AddedLine[] = [];
  let next: number | null = null;
  for (const raw of diff.split("\n")) {
    const hunk = HUNK.exec(raw);
    if (hunk) {
      next = Number(hunk[1]);
      continue;
    }
    if (next === null) continue;
    if (raw.startsWith("+")) {
      added.push({ line: next, text: raw.slice(1) });
      next += 1;
    } else if (raw.startsWith(" ")) {
      next += 1;
    } else if (raw.startsWith("diff --git ")) {
      // A second file's header: its own hunk header sets the numbering again.
      next = null;
    }
  }
  return added;
}
