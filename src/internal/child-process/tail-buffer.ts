/**
 * Bounded keepers for streamed output: the last N bytes ({@link TailBuffer}) and whole lines of at most N
 * bytes ({@link LineSplitter}). Memory stays bounded whatever a child prints.
 *
 * This file is kept identical in `process-checks/` and `process-dispatch/` (adapters never import each
 * other); a test compares the two copies.
 */

/** Keeps the last `limit` bytes of a stream, and counts what it dropped. */
export class TailBuffer {
  readonly #limit: number;
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = 0;

  /** @param limit how many trailing bytes to keep (≥ 0). */
  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  /** Appends a chunk; compacts once more than twice the limit is held. */
  push(chunk: Uint8Array): void {
    this.#chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    this.#size += chunk.byteLength;
    if (this.#size > 2 * this.#limit + 65_536) this.#compact();
  }

  /** Bytes seen and not kept. */
  get dropped(): number {
    return this.#size > this.#limit ? this.#dropped + this.#size - this.#limit : this.#dropped;
  }

  /** The last `limit` bytes seen (fewer when fewer were seen). */
  bytes(): Buffer {
    this.#compact();
    return this.#chunks[0] ?? Buffer.alloc(0);
  }

  #compact(): void {
    const all = Buffer.concat(this.#chunks, this.#size);
    const keep = all.subarray(Math.max(0, all.length - this.#limit));
    this.#dropped += all.length - keep.length;
    // Copy so the dropped head of `all` can be collected.
    this.#chunks = [Buffer.from(keep)];
    this.#size = keep.length;
  }
}

/**
 * Splits a byte stream into lines (`\n`, a trailing `\r` removed) and hands each to `onLine`. A line longer
 * than `maxLineBytes` is handed over cut to that length, marked with `…`, and the rest of it is skipped.
 */
export class LineSplitter {
  readonly #max: number;
  readonly #onLine: (line: string) => void;
  #pending: Buffer[] = [];
  #pendingSize = 0;
  #overflow = false;

  /**
   * @param maxLineBytes the longest line handed over, in bytes (≥ 1)
   * @param onLine receives each line, without its line break
   */
  constructor(maxLineBytes: number, onLine: (line: string) => void) {
    this.#max = Math.max(1, maxLineBytes);
    this.#onLine = onLine;
  }

  /** Feeds a chunk of the stream. */
  push(chunk: Uint8Array): void {
    let rest = Buffer.from(chunk);
    for (let nl = rest.indexOf(10); nl !== -1; nl = rest.indexOf(10)) {
      this.#append(rest.subarray(0, nl));
      this.#emit();
      rest = rest.subarray(nl + 1);
    }
    this.#append(rest);
  }

  /** Hands over the last, unterminated line (if any). */
  end(): void {
    if (this.#pendingSize > 0 || this.#overflow) this.#emit();
  }

  #append(part: Buffer): void {
    if (this.#overflow || part.length === 0) return;
    const room = this.#max - this.#pendingSize;
    if (part.length > room) {
      this.#pending.push(Buffer.from(part.subarray(0, room)));
      this.#pendingSize += room;
      this.#overflow = true;
      return;
    }
    this.#pending.push(Buffer.from(part));
    this.#pendingSize += part.length;
  }

  #emit(): void {
    let line = Buffer.concat(this.#pending, this.#pendingSize).toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (this.#overflow) line = `${line.replace(/\uFFFD$/, "")}…`;
    this.#pending = [];
    this.#pendingSize = 0;
    this.#overflow = false;
    this.#onLine(line);
  }
}
