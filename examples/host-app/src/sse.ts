/**
 * Server-Sent Events from rungate's event log. Each stored event is one SSE message whose `id` is its
 * `sequence`, so a browser's `EventSource` that reconnects sends `Last-Event-ID` and continues exactly after
 * the last event it saw: the log is stored, not broadcast, so nothing is missed or repeated.
 */
import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { TypedRunEvent } from "rungate";

/** Options of {@link streamEvents}. */
export interface StreamOptions {
  /** A comment line this often keeps proxies from closing a quiet stream (ms). */
  readonly heartbeat_ms: number;
  /** Called once when the stream ends, for whatever reason. */
  readonly onClose: () => void;
}

/**
 * Writes `events(signal)` to `res` as an event stream until the run is finished (a last `end` message is sent)
 * or the client goes away (then `signal` aborts, which ends rungate's iteration and its reads of the store).
 */
export async function streamEvents(
  res: ServerResponse,
  events: (signal: AbortSignal) => AsyncIterable<TypedRunEvent>,
  options: StreamOptions,
): Promise<void> {
  const disconnected = new AbortController();
  res.on("close", () => disconnected.abort());
  const { signal } = disconnected;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-accel-buffering": "no", // nginx: do not buffer the stream
  });
  res.write("retry: 2000\n\n");
  const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), options.heartbeat_ms);
  const send = async (frame: string) => {
    // Respect backpressure: a slow client makes us wait, not buffer the whole log in memory.
    if (!res.write(frame)) await once(res, "drain", { signal });
  };
  try {
    for await (const event of events(signal)) {
      await send(`id: ${event.sequence}\nevent: ${event.event_type}\ndata: ${JSON.stringify(event)}\n\n`);
    }
    if (!signal.aborted) await send("event: end\ndata: {}\n\n");
  } catch (error) {
    // An abort is the client leaving; anything else is reported on the stream before it ends.
    if (!signal.aborted) res.write(`event: error\ndata: ${JSON.stringify({ message: String(error) })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    res.end();
    options.onClose();
  }
}
