/** How many entries a fake's call log keeps by default: far more than one test makes, bounded for a long-lived fake. */
export const DEFAULT_LOG_LIMIT = 10_000;

/**
 * A log that keeps only its newest `limit` entries: the fakes' call logs (a set of fakes shared by a long
 * suite holds bounded memory; the logs are for a test's assertions on what it just did, not a history) and a
 * long-running worker's report. Older entries are dropped in batches (amortised O(1) per entry); a `limit` of
 * `Infinity` keeps everything.
 */
export class BoundedLog<T> {
  readonly #limit: number;
  #entries: T[] = [];
  #dropped = 0;

  constructor(limit: number = DEFAULT_LOG_LIMIT) {
    if (!(limit >= 1)) throw new RangeError(`a log limit must be at least 1, got ${limit}`);
    this.#limit = limit;
  }

  /** Appends an entry, dropping the oldest once twice the limit is held. */
  push(entry: T): void {
    this.#entries.push(entry);
    if (this.#entries.length >= 2 * this.#limit) {
      const drop = this.#entries.length - this.#limit;
      this.#entries = this.#entries.slice(drop);
      this.#dropped += drop;
    }
  }

  /** The newest `limit` entries, oldest first (a copy). */
  entries(): T[] {
    const over = this.#entries.length - this.#limit;
    return over > 0 ? this.#entries.slice(over) : [...this.#entries];
  }

  /** How many entries were ever appended. */
  get total(): number {
    return this.#dropped + this.#entries.length;
  }

  /** How many entries were ever appended and are no longer returned by {@link entries}. */
  get dropped(): number {
    return this.#dropped + Math.max(0, this.#entries.length - this.#limit);
  }
}
