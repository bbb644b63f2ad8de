/**
 * A stand-in for the forge's REST API on a real `node:http` server on loopback, so the adapter is tested over
 * real HTTP without a network. It keeps pull requests and commit statuses per repository, tells rungate's bot
 * token from people's tokens, and lets only a person merge: the act rungate must never perform.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Pull {
  number: number;
  html_url: string;
  state: "open" | "closed";
  draft: boolean;
  merged: boolean;
  decided_by: { login: string } | null;
  head: { ref: string; sha: string };
  base: { ref: string };
  title: string;
  body: string;
}

interface Repo {
  readonly pulls: Pull[];
  /** sha → context → state, the newest write per context winning. */
  readonly statuses: Map<string, Map<string, string>>;
}

/** The running stand-in, with what a test needs to play the forge's people. */
export interface StandInForge {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The token of rungate's bot account. */
  readonly botToken: string;
  /** Creates an empty repository `owner/repo`. */
  createRepo(owner: string, repo: string): void;
  /** A token of the person `login`, who may merge. */
  tokenOf(login: string): string;
  /** The state per context of the commit statuses on `sha`, as the forge keeps them. */
  statuses(owner: string, repo: string, sha: string): Record<string, string>;
  /** Every request received, `METHOD path`, in order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

/** Starts the stand-in forge on a free loopback port. */
export async function startStandInForge(): Promise<StandInForge> {
  const repos = new Map<string, Repo>();
  const people = new Map<string, string>(); // token → login
  const botToken = `forge-bot-${Math.random().toString(36).slice(2)}`;
  const requests: string[] = [];
  let url = "";

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = new URL(req.url ?? "/", url);
    requests.push(`${req.method} ${target.pathname}${target.search}`);
    const token = /^token (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
    const person = people.get(token);
    if (token !== botToken && person === undefined) return send(res, 401, { message: "bad credentials" });
    const route = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/(pulls|statuses)(?:\/([^/]+))?(\/merge)?$/.exec(
      target.pathname,
    );
    const repo = route ? repos.get(`${route[1]}/${route[2]}`) : undefined;
    if (!route || !repo) return send(res, 404, { message: "not found" });
    const [, owner, name, kind, id, merge] = route;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length
      ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
      : {};

    if (kind === "pulls" && id === undefined && req.method === "GET") {
      const head = target.searchParams.get("head");
      const state = target.searchParams.get("state");
      return send(
        res,
        200,
        repo.pulls.filter(
          (p) => (head === null || p.head.ref === head) && (state === null || p.state === state),
        ),
      );
    }
    if (kind === "pulls" && id === undefined && req.method === "POST") {
      const { head, head_sha, base, title } = body;
      if (typeof head !== "string" || typeof head_sha !== "string" || typeof base !== "string") {
        return send(res, 422, { message: "head, head_sha and base are required" });
      }
      if (repo.pulls.some((p) => p.head.ref === head && p.state === "open")) {
        return send(res, 409, { message: `a pull request for ${head} is already open` });
      }
      const number = repo.pulls.length + 1;
      const pull: Pull = {
        number,
        html_url: `${url}/${owner}/${name}/pulls/${number}`,
        state: "open",
        draft: body.draft === true,
        merged: false,
        decided_by: null,
        head: { ref: head, sha: head_sha },
        base: { ref: base },
        title: String(title ?? ""),
        body: String(body.body ?? ""),
      };
      repo.pulls.push(pull);
      return send(res, 201, pull);
    }
    const pull = kind === "pulls" ? repo.pulls.find((p) => String(p.number) === id) : undefined;
    if (kind === "pulls" && !merge && req.method === "GET") {
      return pull ? send(res, 200, pull) : send(res, 404, { message: "no such pull request" });
    }
    if (kind === "pulls" && merge && req.method === "POST") {
      // The person's act. A bot token may not merge on this forge: only people do.
      if (person === undefined) return send(res, 403, { message: "only a person may merge" });
      if (!pull) return send(res, 404, { message: "no such pull request" });
      if (pull.state !== "open") return send(res, 409, { message: "the pull request is not open" });
      Object.assign(pull, { state: "closed", merged: true, draft: false, decided_by: { login: person } });
      return send(res, 200, pull);
    }
    if (kind === "statuses" && id !== undefined && req.method === "POST") {
      // The forge knows a commit once it was pushed; here: once a pull request's head is that commit.
      if (!repo.pulls.some((p) => p.head.sha === id)) return send(res, 404, { message: `no commit ${id}` });
      const perContext = repo.statuses.get(id) ?? new Map<string, string>();
      perContext.set(String(body.context), String(body.state));
      repo.statuses.set(id, perContext);
      return send(res, 201, { context: body.context, state: body.state });
    }
    return send(res, 405, { message: "method not allowed" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { message: String(error) }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    botToken,
    requests,
    createRepo: (owner, repo) => {
      repos.set(`${owner}/${repo}`, { pulls: [], statuses: new Map() });
    },
    tokenOf: (login) => {
      const token = `forge-person-${login}`;
      people.set(token, login);
      return token;
    },
    statuses: (owner, repo, sha) =>
      Object.fromEntries(repos.get(`${owner}/${repo}`)?.statuses.get(sha) ?? []),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
