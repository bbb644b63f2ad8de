/**
 * Where a command writes. Commands never touch `process.stdout` themselves, so what they print is decided in
 * one place (the bin entry) and a TTY is detected once.
 */
export interface CliIo {
  /** Writes lines to standard output. */
  out(...lines: readonly string[]): void;
  /** Writes lines to standard error. */
  err(...lines: readonly string[]): void;
  /** True when standard output is a terminal: live redraws and colour only then. */
  readonly isTTY: boolean;
  /** The stream live progress is redrawn on (only used when {@link CliIo.isTTY}). */
  readonly stdout: NodeJS.WriteStream;
}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    out: (...lines) => {
      for (const line of lines) process.stdout.write(`${line}\n`);
    },
    err: (...lines) => {
      for (const line of lines) process.stderr.write(`${line}\n`);
    },
    isTTY: process.stdout.isTTY === true,
    stdout: process.stdout,
  };
}
