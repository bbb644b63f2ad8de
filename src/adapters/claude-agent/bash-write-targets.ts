/**
 * The files a shell command visibly writes, read from its words: output redirections (`>`, `>>`, `&>`, `2>`,
 * `>|`), the files of commands that write the files they name (`tee`, `touch`, `rm`, `mkdir`, `mv`, the last
 * argument of `cp` / `ln` / `install`, `sed -i`, `dd of=`, …), also inside `sh -c '…'`, with `cd` followed.
 * A heuristic, not a parser of everything a shell can do: a script, an interpreter (`python -c`), `eval`,
 * `xargs` or `find -delete` writes what it likes unseen. It is a first refusal; the orchestrator's diff check
 * after the run is what catches the rest. Pure.
 */

/** One write target: the word as written, and the directory (`cd`) it is relative to, as written too. */
export interface BashWriteTarget {
  readonly path: string;
  /** The `cd` arguments in force, in order (empty: the command's working directory). */
  readonly cd: readonly string[];
}

type Token = { readonly op: string } | { readonly word: string; readonly quoted: boolean };

/** Operators that end a simple command. */
const SEPARATORS = new Set([";", "&&", "||", "|", "&", "\n", "(", ")", ";;", "|&"]);
/** Redirections that write their target. */
const WRITE_REDIRECTS = new Set([">", ">>", ">|", "&>", "&>>"]);
/** Words put before a command that run it (their own options skipped). */
const PREFIXES = new Set(["sudo", "env", "command", "nohup", "time", "exec", "nice", "stdbuf", "timeout"]);
/** Options of those prefixes that take a value as the next word (`sudo -u root`, `nice -n 5`). */
const PREFIX_OPTIONS_WITH_VALUE = new Set(["-u", "-g", "-n", "-C", "-p", "-s", "-k", "-U", "-h"]);
/** Commands that write every file they name. */
const WRITES_ALL = new Set([
  "tee",
  "touch",
  "rm",
  "rmdir",
  "mkdir",
  "mv",
  "shred",
  "unlink",
  "truncate",
  "mkfifo",
]);
/** Commands that write their last argument (the destination). */
const WRITES_LAST = new Set(["cp", "ln", "install", "rsync", "scp"]);
/** Commands whose first argument is not a file (a mode, an owner) and that change every file after it. */
const WRITES_AFTER_FIRST = new Set(["chmod", "chown", "chgrp"]);
/** Writes that go nowhere. */
const HARMLESS = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "-"]);

/** Splits a command into words and operators, with quotes and backslashes as a POSIX shell reads them. */
function tokenize(command: string): Token[] {
  const tokens: Token[] = [];
  let word = "";
  let inWord = false;
  let quoted = false;
  const flush = () => {
    if (inWord) tokens.push({ word, quoted });
    word = "";
    inWord = false;
    quoted = false;
  };
  for (let i = 0; i < command.length; i++) {
    const c = command[i] ?? "";
    if (c === "'" || c === '"') {
      const end = command.indexOf(c, i + 1);
      const close = end === -1 ? command.length : end;
      const body = command.slice(i + 1, close);
      word += c === '"' ? body.replace(/\\(["\\$`])/g, "$1") : body;
      inWord = true;
      quoted = true;
      i = close;
    } else if (c === "\\") {
      word += command[i + 1] ?? "";
      inWord = true;
      i++;
    } else if (c === " " || c === "\t") {
      flush();
    } else if (c === "#" && !inWord) {
      const newline = command.indexOf("\n", i);
      i = newline === -1 ? command.length : newline - 1;
    } else if (">|&;<()\n".includes(c)) {
      // `2>`: a word of digits right before `>` is the descriptor, not a word.
      const fd = /^\d+$/.test(word) && !quoted && (c === ">" || c === "<");
      if (fd) word = "";
      flush();
      const three = command.slice(i, i + 3);
      const two = command.slice(i, i + 2);
      const op = ["&>>", "<<<"].includes(three)
        ? three
        : [">>", ">|", "&>", "&&", "||", ";;", "|&", "<<", ">&", "<&"].includes(two)
          ? two
          : c;
      tokens.push({ op });
      i += op.length - 1;
    } else {
      word += c;
      inWord = true;
    }
  }
  flush();
  return tokens;
}

const isWord = (t: Token | undefined): t is { word: string; quoted: boolean } =>
  t !== undefined && "word" in t;

/** The arguments of a command that are not options (everything after `--` counts). */
function operands(args: readonly string[]): string[] {
  const out: string[] = [];
  let options = true;
  for (const arg of args) {
    if (options && arg === "--") options = false;
    else if (!options || !arg.startsWith("-") || arg === "-") out.push(arg);
  }
  return out;
}

/** The index of the first word after `NAME=value` assignments from `at`. */
function skipAssignments(words: readonly string[], at: number): number {
  let i = at;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i] ?? "")) i++;
  return i;
}

/** The files one simple command (its words, redirections already taken out) writes. */
function commandTargets(words: readonly string[]): string[] {
  let at = skipAssignments(words, 0);
  while (at < words.length && PREFIXES.has(baseName(words[at] ?? ""))) {
    // The prefix's own options (with their values), assignments and a duration (`timeout 10`).
    at++;
    for (;;) {
      const word = words[at] ?? "";
      if (PREFIX_OPTIONS_WITH_VALUE.has(word)) at += 2;
      else if (
        word.startsWith("-") ||
        /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) ||
        /^\d+(\.\d+)?[smhd]?$/.test(word)
      )
        at++;
      else break;
    }
  }
  const name = baseName(words[at] ?? "");
  const args = words.slice(at + 1);
  if (WRITES_ALL.has(name))
    return operands(name === "truncate" ? dropOptionValues(args, ["-s", "--size"]) : args);
  if (WRITES_LAST.has(name)) return operands(args).slice(-1);
  if (WRITES_AFTER_FIRST.has(name)) return operands(args).slice(1);
  if (name === "sed" && args.some((a) => /^(-i|--in-place)/.test(a) || /^-[a-zA-Z]*i/.test(a))) {
    const explicitScript = args.some((a) => a === "-e" || a === "-f" || a.startsWith("--expression"));
    const files = operands(dropOptionValues(args, ["-e", "-f"]));
    return explicitScript ? files : files.slice(1);
  }
  if (name === "dd") return args.filter((a) => a.startsWith("of=")).map((a) => a.slice(3));
  if ((name === "sh" || name === "bash" || name === "zsh" || name === "dash") && args.includes("-c")) {
    const script = args[args.indexOf("-c") + 1];
    return script === undefined ? [] : bashWriteTargets(script).map((t) => t.path);
  }
  return [];
}

function dropOptionValues(args: readonly string[], options: readonly string[]): string[] {
  return args.filter((_, i) => !options.includes(args[i - 1] ?? ""));
}

function baseName(word: string): string {
  return word.split("/").at(-1) ?? word;
}

/** The index of the newline token that ends the last of `delimiters`' here-documents opening after `at`. */
function skipHeredocs(tokens: readonly Token[], at: number, delimiters: readonly string[]): number {
  let i = at;
  for (const delimiter of delimiters) {
    for (;;) {
      const line: Token[] = [];
      for (i += 1; i < tokens.length && !isNewline(tokens[i]); i++) line.push(tokens[i] as Token);
      const only = line[0];
      if (i >= tokens.length || (line.length === 1 && isWord(only) && only.word === delimiter)) break;
    }
  }
  return i;
}

const isNewline = (t: Token | undefined): boolean => t !== undefined && "op" in t && t.op === "\n";

/**
 * The files `command` visibly writes, in order, each with the `cd`s in force before it (see the file's
 * header for what is and is not seen). Writes to `/dev/null`, `/dev/stdout`, `/dev/stderr` are left out.
 */
export function bashWriteTargets(command: string): BashWriteTarget[] {
  const targets: BashWriteTarget[] = [];
  const cd: string[] = [];
  let words: string[] = [];
  const tokens = tokenize(command);
  const endCommand = () => {
    if (baseName(words[0] ?? "") === "cd" && words[1] !== undefined) cd.push(words[1]);
    else for (const path of commandTargets(words)) targets.push({ path, cd: [...cd] });
    words = [];
  };
  let heredocs: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === undefined) continue;
    if ("word" in token) {
      words.push(token.word);
      continue;
    }
    if (token.op === "\n" && heredocs.length > 0) {
      // A here-document's lines are text, not commands: skipped up to each delimiter line.
      endCommand();
      i = skipHeredocs(tokens, i, heredocs);
      heredocs = [];
    } else if (SEPARATORS.has(token.op)) {
      endCommand();
    } else {
      const next = tokens[i + 1];
      if (!isWord(next)) continue;
      i++;
      if (token.op === "<<") heredocs.push(next.word.replace(/^-/, ""));
      // `>&2` duplicates a descriptor; `>&file` writes the file, as `>` does.
      const writes = WRITE_REDIRECTS.has(token.op) || (token.op === ">&" && !/^(\d+|-)$/.test(next.word));
      if (writes) targets.push({ path: next.word, cd: [...cd] });
    }
  }
  endCommand();
  return targets.filter((t) => !HARMLESS.has(t.path));
}
