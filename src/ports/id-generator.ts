/** Where ids come from: random UUIDs in production, a counter in tests. */
export interface IdGenerator {
  /** A new UUID, never returned before by this generator. */
  next(): string;
}
