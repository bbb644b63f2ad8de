import { createHash } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP server on 127.0.0.1 that plays the few GitHub REST endpoints the pull-request host uses, with
 * an in-memory store of pull requests and a log of every request it received. No network: the adapter is
 * pointed at it with `baseUrl`.
 */

/** One request the server received, as sent. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/repos/acme/widgets/pulls?head=acme%3Afeat&state=open`. */
  readonly url: string;
  readonly pathname: string;
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
}

/** A pull request as the server keeps it. */
export interface ServerPull {
  number: number;
  title: string;
  body: string;
  head: string;
  head_sha: string;
  base: string;
  state: "open" | "closed";
  draft: boolean;
  merged: boolean;
  merged_by: string | null;
}

/** A canned answer, served once to the next request it matches (before the normal routes). */
export interface ScriptedResponse {
  readonly method: string;
  readonly pathname: RegExp;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** Holds the answer this long (ms); the server's close() drops it. */
  readonly delayMs?: number;
}

/** A commit status as the server stores it. */
export interface ServerStatus {
  readonly sha: string;
  readonly state: string;
  readonly context: string;
  readonly description: string | null;
  readonly target_url: string | null;
}

/** The server's handle for tests. */
export interface LocalGitHub {
  /** `http://127.0.0.1:<port>`, for the adapter's `baseUrl`. */
  readonly baseUrl: string;
  readonly owner: string;
  readonly repo: string;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  readonly pulls: ServerPull[];
  /** Reviews asked per PR number (`POST …/pulls/{n}/requested_reviewers`), in order. */
  readonly reviewRequests: {
    readonly number: number;
    readonly reviewers: string[];
    readonly team_reviewers: string[];
  }[];
  /** Labels added per PR number (`POST …/issues/{n}/labels`), in order. */
  readonly labels: { readonly number: number; readonly labels: string[] }[];
  /** Every commit status posted, in order (`POST /repos/{owner}/{repo}/statuses/{sha}`). */
  readonly statuses: ServerStatus[];
  /** Makes a branch known, as `git push` would. Unknown head branches get GitHub's 422. */
  push(branch: string, sha: string): void;
  /** Serves `response` once to the next matching request. */
  script(response: ScriptedResponse): void;
  /** A PR opened on "GitHub" by someone else (no request through the adapter); returns its number. */
  seed(pull: Omit<ServerPull, "number">): number;
  /** A person merges PR `number` on "GitHub". */
  mergeAsPerson(number: number, by: string): void;
  /** A person marks PR `number` ready for review. */
  markReadyAsPerson(number: number): void;
  /** A person closes PR `number`. */
  closeAsPerson(number: number): void;
  close(): Promise<void>;
}

/** Options of {@link startLocalGitHub}. */
export interface LocalGitHubOptions {
  readonly owner?: string;
  readonly repo?: string;
  /** When set, any other credential is answered 401 Bad credentials. */
  readonly token?: string;
  /** Branches pushed from the start, name → sha. */
  readonly branches?: Readonly<Record<string, string>>;
}

const DOCS = "https://docs.github.com/rest/pulls/pulls";

/**
 * GitHub's length limits on a pull request, in characters (code points), as its 422 answers state them: "title is
 * too long (maximum is 256 characters)", "body is too long (maximum is 65536 characters)".
 */
export const GITHUB_LENGTH_LIMITS = { title: 256, body: 65_536 } as const;

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

/** Starts the server on an ephemeral port of 127.0.0.1. */
export async function startLocalGitHub(options: LocalGitHubOptions = {}): Promise<LocalGitHub> {
  const owner = options.owner ?? "acme";
  const repo = options.repo ?? "widgets";
  const requests: RecordedRequest[] = [];
  const pulls: ServerPull[] = [];
  const statuses: ServerStatus[] = [];
  const reviewRequests: LocalGitHub["reviewRequests"] = [];
  const labels: LocalGitHub["labels"] = [];
  const branches = new Map<string, string>(Object.entries(options.branches ?? {}));
  const scripted: ScriptedResponse[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const toJson = (pr: ServerPull) => ({
    url: `https://api.github.com/repos/${owner}/${repo}/pulls/${pr.number}`,
    id: 1000 + pr.number,
    number: pr.number,
    html_url: `https://github.com/${owner}/${repo}/pull/${pr.number}`,
    state: pr.state,
    draft: pr.draft,
    merged: pr.merged,
    merged_at: pr.merged ? "2026-01-02T00:00:00Z" : null,
    merged_by: pr.merged_by ? { login: pr.merged_by, id: 7, type: "User" } : null,
    title: pr.title,
    body: pr.body,
    user: { login: "rungate-bot", id: 1, type: "User" },
    head: { ref: pr.head, sha: pr.head_sha, label: `${owner}:${pr.head}` },
    base: { ref: pr.base, sha: sha1(pr.base), label: `${owner}:${pr.base}` },
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // keep the raw text
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const method = req.method ?? "GET";
      requests.push({ method, url: req.url ?? "/", pathname: url.pathname, body, headers: req.headers });

      const send = (status: number, payload: unknown, headers: Readonly<Record<string, string>> = {}) => {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
        res.end(JSON.stringify(payload));
      };

      const scriptIndex = scripted.findIndex((s) => s.method === method && s.pathname.test(url.pathname));
      const script = scripted[scriptIndex];
      if (script) {
        scripted.splice(scriptIndex, 1);
        if (script.delayMs === undefined) return send(script.status, script.body, script.headers);
        timers.add(setTimeout(() => send(script.status, script.body, script.headers), script.delayMs));
        return;
      }

      if (options.token !== undefined) {
        const auth = req.headers.authorization ?? "";
        if (auth !== `token ${options.token}` && auth !== `Bearer ${options.token}`) {
          return send(401, { message: "Bad credentials", documentation_url: DOCS, status: "401" });
        }
      }

      // Review requests and labels, shaped as GitHub documents them (rest/pulls/review-requests, rest/issues/labels).
      const asked =
        /^\/repos\/([^/]+)\/([^/]+)\/(pulls\/(\d+)\/requested_reviewers|issues\/(\d+)\/labels)$/.exec(
          url.pathname,
        );
      if (asked && method === "POST" && asked[1] === owner && asked[2] === repo) {
        const number = Number(asked[4] ?? asked[5]);
        const pr = pulls.find((p) => p.number === number);
        if (!pr) return send(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
        const input = (body ?? {}) as Record<string, unknown>;
        const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
        if (asked[4] !== undefined) {
          const reviewers = list(input.reviewers);
          const team_reviewers = list(input.team_reviewers);
          // GitHub refuses a reviewer who is not a collaborator; the stand-in knows one stranger.
          if (reviewers.includes("stranger")) {
            return send(422, {
              message:
                "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the acme/widgets repository.",
              documentation_url: DOCS,
            });
          }
          reviewRequests.push({ number, reviewers, team_reviewers });
          return send(201, toJson(pr));
        }
        labels.push({ number, labels: list(input.labels) });
        return send(
          200,
          list(input.labels).map((name, i) => ({ id: i + 1, name })),
        );
      }

      // Commit statuses, shaped as GitHub documents them (docs.github.com/rest/commits/statuses).
      const statusRoute = /^\/repos\/([^/]+)\/([^/]+)\/(statuses|commits)\/([^/]+)(\/status)?$/.exec(
        url.pathname,
      );
      if (statusRoute && statusRoute[1] === owner && statusRoute[2] === repo) {
        const sha = statusRoute[4] ?? "";
        const known = [...branches.values()].includes(sha) || pulls.some((p) => p.head_sha === sha);
        if (method === "POST" && statusRoute[3] === "statuses") {
          const input = (body ?? {}) as Record<string, unknown>;
          const states = ["error", "failure", "pending", "success"];
          if (!known)
            return send(422, { message: `No commit found for SHA: ${sha}`, documentation_url: DOCS });
          if (typeof input.state !== "string" || !states.includes(input.state)) {
            return send(422, {
              message: "Validation Failed",
              errors: [{ resource: "Status", field: "state", code: "custom" }],
            });
          }
          if (typeof input.description === "string" && [...input.description].length > 140) {
            return send(422, {
              message: "Validation Failed",
              errors: [
                {
                  resource: "Status",
                  field: "description",
                  code: "custom",
                  message: "description is too long (maximum is 140 characters)",
                },
              ],
            });
          }
          const stored: ServerStatus = {
            sha,
            state: input.state,
            context: typeof input.context === "string" ? input.context : "default",
            description: typeof input.description === "string" ? input.description : null,
            target_url: typeof input.target_url === "string" ? input.target_url : null,
          };
          statuses.push(stored);
          return send(201, { id: statuses.length, ...stored, created_at: "2026-01-01T00:00:00Z" });
        }
        if (method === "GET" && statusRoute[3] === "commits" && statusRoute[5] === "/status") {
          const latest = new Map(statuses.filter((s) => s.sha === sha).map((s) => [s.context, s]));
          return send(200, { sha, state: "pending", statuses: [...latest.values()] });
        }
      }

      const route = /^\/repos\/([^/]+)\/([^/]+)\/pulls(?:\/(\d+))?$/.exec(url.pathname);
      if (!route || route[1] !== owner || route[2] !== repo) {
        return send(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
      }
      const number = route[3] === undefined ? undefined : Number(route[3]);

      if (method === "POST" && number === undefined) {
        const input = (body ?? {}) as Record<string, unknown>;
        const tooLong = (["title", "body"] as const).filter(
          (field) =>
            typeof input[field] === "string" && [...input[field]].length > GITHUB_LENGTH_LIMITS[field],
        );
        if (tooLong.length > 0) {
          return send(422, {
            message: "Validation Failed",
            errors: tooLong.map((field) => ({
              resource: "Issue",
              code: "custom",
              field,
              message: `${field} is too long (maximum is ${GITHUB_LENGTH_LIMITS[field]} characters)`,
            })),
            documentation_url: DOCS,
            status: "422",
          });
        }
        const head = String(input.head ?? "");
        const base = String(input.base ?? "");
        const sha = branches.get(head);
        if (sha === undefined || !branches.has(base) || typeof input.title !== "string") {
          return send(422, {
            message: "Validation Failed",
            errors: [
              { resource: "PullRequest", field: sha === undefined ? "head" : "base", code: "invalid" },
            ],
            documentation_url: DOCS,
            status: "422",
          });
        }
        if (pulls.some((p) => p.head === head && p.state === "open")) {
          return send(422, {
            message: "Validation Failed",
            errors: [
              {
                resource: "PullRequest",
                code: "custom",
                message: `A pull request already exists for ${owner}:${head}.`,
              },
            ],
            documentation_url: DOCS,
            status: "422",
          });
        }
        const pr: ServerPull = {
          number: pulls.length + 1,
          title: input.title,
          body: typeof input.body === "string" ? input.body : "",
          head,
          head_sha: sha,
          base,
          state: "open",
          draft: input.draft === true,
          merged: false,
          merged_by: null,
        };
        pulls.push(pr);
        return send(201, toJson(pr));
      }
      if (method === "GET" && number === undefined) {
        const head = url.searchParams.get("head");
        const state = url.searchParams.get("state") ?? "open";
        const found = pulls.filter(
          (p) => (head === null || `${owner}:${p.head}` === head) && (state === "all" || p.state === state),
        );
        return send(200, found.map(toJson));
      }
      if (method === "GET" && number !== undefined) {
        const pr = pulls.find((p) => p.number === number);
        return pr ? send(200, toJson(pr)) : send(404, { message: "Not Found", documentation_url: DOCS });
      }
      // Anything else (merge, reviews, PATCH…) is not played: it shows up in the request log.
      return send(404, { message: "Not Found", documentation_url: DOCS, status: "404" });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const pull = (number: number): ServerPull => {
    const pr = pulls.find((p) => p.number === number);
    if (!pr) throw new Error(`local GitHub: no pull request #${number}`);
    return pr;
  };

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    owner,
    repo,
    requests,
    statuses,
    reviewRequests,
    labels,
    pulls,
    push: (branch, sha) => {
      branches.set(branch, sha);
    },
    script: (response) => {
      scripted.push(response);
    },
    seed: (pr) => {
      pulls.push({ ...pr, number: pulls.length + 1 });
      return pulls.length;
    },
    mergeAsPerson: (number, by) => {
      Object.assign(pull(number), { state: "closed", merged: true, merged_by: by, draft: false });
    },
    markReadyAsPerson: (number) => {
      pull(number).draft = false;
    },
    closeAsPerson: (number) => {
      pull(number).state = "closed";
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}

/** The PR number at the end of an html_url. */
export function pullNumberOf(url: string): number {
  const n = Number(/\/pull\/(\d+)$/.exec(url)?.[1]);
  if (!Number.isInteger(n)) throw new Error(`not a pull request url: ${url}`);
  return n;
}
