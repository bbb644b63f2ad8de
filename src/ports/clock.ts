/** Where time comes from. The system clock in production, a simulated one in tests. */
export interface Clock {
  /** The current instant as an ISO-8601 string (UTC, milliseconds). */
  now(): string;
}
