/**
 * The network allow-list of the bubblewrap sandbox. The sandboxed process has no network of its own (a
 * namespace with loopback only); its one way out is an HTTP CONNECT proxy that rungate runs outside, on a
 * Unix socket bound into the sandbox, which opens a tunnel only to the hosts allowed. Inside, a small
 * forwarder (node, started by bwrap before the program) listens on the sandbox's loopback, relays each
 * connection to that socket, and starts the program with `HTTPS_PROXY`/`HTTP_PROXY` pointing at itself. A
 * program that ignores the proxy variables reaches nothing at all.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The port the forwarder listens on inside the sandbox (each sandbox has its own loopback). */
export const FORWARDER_PORT = 3128;

/**
 * The forwarder, run as `node -e FORWARDER <socket> -- <program> <args…>` inside the sandbox: relays every
 * connection to 127.0.0.1:3128 to the Unix socket, runs the program with the proxy variables set, exits as it
 * does and passes termination signals on.
 */
export const FORWARDER = `
const net = require("node:net");
const { spawn } = require("node:child_process");
const [sock, sep, program, ...args] = process.argv.slice(1);
if (sep !== "--" || !program) { console.error("rungate forwarder: bad arguments"); process.exit(2); }
const server = net.createServer((inner) => {
  const outer = net.connect(sock);
  inner.pipe(outer); outer.pipe(inner);
  inner.on("error", () => outer.destroy()); outer.on("error", () => inner.destroy());
});
server.listen(${FORWARDER_PORT}, "127.0.0.1", () => {
  const proxy = "http://127.0.0.1:${FORWARDER_PORT}";
  const env = { ...process.env, HTTPS_PROXY: proxy, https_proxy: proxy, HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: "", no_proxy: "" };
  const child = spawn(program, args, { stdio: "inherit", env });
  for (const s of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(s, () => child.kill(s));
  child.on("error", (e) => { console.error("rungate forwarder: " + e.message); process.exit(127); });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});
`;

/** Whether `host:port` is allowed by `allow` (entries `host` for port 443, or `host:port`), case-insensitively. */
export function isAllowed(allow: readonly string[], host: string, port: number): boolean {
  const wanted = host.toLowerCase().replace(/^\[|\]$/g, "");
  return allow.some((entry) => {
    const parsed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(entry);
    if (parsed === null) return false;
    const allowedPort = parsed[2] === undefined ? 443 : Number(parsed[2]);
    return (parsed[1] ?? "").toLowerCase() === wanted && allowedPort === port;
  });
}

/** A running egress proxy. */
export interface EgressProxy {
  /** The directory holding the Unix socket (bound into each sandbox). */
  readonly dir: string;
  /** The Unix socket. */
  readonly socket: string;
  /** Stops the proxy and removes its socket. */
  close(): void;
}

/** `CONNECT host:port HTTP/1.1` → host and port; `null` for anything else. */
function parseConnect(head: string): { host: string; port: number } | null {
  const match = /^CONNECT (\[[^\]]+\]|[^\s:]+):(\d{1,5}) HTTP\/1\.[01]\r\n/i.exec(head);
  if (match === null) return null;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1] ?? "", port } : null;
}

function serve(client: Socket, allow: readonly string[]): void {
  let head = "";
  client.on("error", () => client.destroy());
  const onData = (chunk: Buffer) => {
    head += chunk.toString("latin1");
    if (head.length > 8192) return client.end("HTTP/1.1 431 Request Header Fields Too Large\r\n\r\n");
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    client.off("data", onData);
    const target = parseConnect(head);
    if (target === null) return client.end("HTTP/1.1 405 Method Not Allowed\r\nAllow: CONNECT\r\n\r\n");
    if (!isAllowed(allow, target.host, target.port)) {
      return client.end("HTTP/1.1 403 Forbidden\r\n\r\nrungate: host not in the sandbox's allow_hosts\r\n");
    }
    const upstream = connect(target.port, target.host.replace(/^\[|\]$/g, ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      const rest = Buffer.from(head.slice(end + 4), "latin1");
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
  };
  client.on("data", onData);
}

/** Starts an egress proxy for `allow` on a fresh Unix socket; it does not keep the process alive. */
export function startEgressProxy(allow: readonly string[]): EgressProxy {
  const dir = join(tmpdir(), `rungate-egress-${randomUUID()}`);
  mkdirSync(dir, { mode: 0o700 });
  const socket = join(dir, "proxy.sock");
  const server: Server = createServer((client) => serve(client, allow));
  server.listen(socket);
  server.unref();
  return {
    dir,
    socket,
    close() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
