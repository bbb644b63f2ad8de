/**
 * A host app's HTTP API around one rungate orchestrator, on plain `node:http`:
 *
 *   POST /runs                                        build a card (202: the build goes on in the background)
 *   GET  /runs?phase=…&card_id=…&limit=…&cursor=…     list runs, newest first, a page at a time
 *   GET  /runs/:run_id                                everything stored about a run
 *   GET  /runs/:run_id/events                         its events as Server-Sent Events (Last-Event-ID resumes)
 *   POST /runs/:run_id/approvals/:approval_id         a person's decision; an approved card becomes a draft PR
 *   POST /runs/:run_id/cards/:assignment_id/approval-request   ask the approval gate (why was nobody asked?)
 *   POST /runs/:run_id/cancel                         a person stops the run
 *
 * Who the person is comes from `authenticate` (here a header your auth proxy would set), never from a body.
 * The server knows one project; a real app looks the project, its repository and its policy up per request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ApprovalType,
  type Orchestrator,
  type RungateError,
  RunPhase,
  rungateError,
  type SystemPolicyProfileInput,
} from "rungate";
import { z } from "zod";
import { invalidRequest, readBody, sendError, sendJson, sendProblem } from "./http.js";
import { streamEvents } from "./sse.js";

/** The project this server builds, as the app stores it. */
export interface HostedProject {
  readonly project_id: string;
  readonly repo_url: string;
  readonly base_branch: string;
  readonly policy: SystemPolicyProfileInput;
}

/** Options of {@link createHostApp}. */
export interface HostAppOptions {
  readonly orchestrator: Orchestrator;
  readonly project: HostedProject;
  /**
   * The signed-in person's id for a request, or `null` (401). Default: the `x-user` header, which stands in
   * for your session or your auth proxy; rungate records it as `user:<id>`.
   */
  readonly authenticate?: (req: IncomingMessage) => string | null;
  /** Where background failures are reported (default `console.error`). */
  readonly log?: (line: string) => void;
  /** Keep-alive comments on event streams, every this many ms (default 15 000). */
  readonly heartbeat_ms?: number;
}

/** The running app. */
export interface HostApp {
  readonly server: Server;
  /** Starts listening on `port` (0: any free one) on loopback and answers the base URL. */
  listen(port?: number): Promise<string>;
  /** Event streams open right now. */
  readonly openStreams: number;
  /** Resolves once every build this server started has returned (awaiting a person, failed, cancelled…). */
  idle(): Promise<void>;
  /**
   * Stops: refuses new connections, ends event streams, and interrupts builds in flight. An interrupted build is
   * not a cancel: its run stays resumable (`orchestrator.resumeRun`) by the next process.
   */
  close(): Promise<void>;
}

/** `POST /runs`: the card to build, as the app's board sends it. The policy decides the rest. */
const TriggerBody = z.object({
  card_id: z.uuid(),
  title: z.string().min(1).max(500),
  description: z.string().max(20_000).default(""),
  allowed_paths: z.array(z.string().min(1)).min(1).max(100),
  planned_approvals: z.array(ApprovalType).default([]),
  /** Repeat a request with the same key (a client retry) and you get the first run back. */
  idempotency_key: z.string().min(1).max(200).optional(),
});

/** `POST /runs/:id/approvals/:approval_id` */
const DecisionBody = z.object({
  decision: z.enum(["approve", "reject"]).default("approve"),
  notes: z.string().max(10_000).nullable().default(null),
});

/** `GET /runs` query string; rungate's own `RunPhase` schema checks the phases. */
const ListQuery = z.object({
  phase: z.array(RunPhase).optional(),
  card_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().min(1).optional(),
});

/** A person's id as the app knows it; rungate records it as `user:<id>`. */
const PersonId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/);

/** Builds the app; call `listen` to serve. */
export function createHostApp(options: HostAppOptions): HostApp {
  const { orchestrator, project } = options;
  const authenticate = options.authenticate ?? ((req) => headerValue(req, "x-user"));
  const log = options.log ?? ((line) => console.error(line));
  const shutdown = new AbortController();
  const builds = new Set<Promise<void>>();
  let openStreams = 0;

  /** Drives a created run as far as it goes without a person, in the background. */
  function drive(run_id: string): void {
    const build = orchestrator
      .resumeRun(run_id, { signal: shutdown.signal })
      .match(
        (state) => log(`run ${run_id}: ${state.run.phase}`),
        (error) => log(`run ${run_id}: ${error.message}`),
      )
      .finally(() => builds.delete(build));
    builds.add(build);
  }

  type Handler = (req: IncomingMessage, res: ServerResponse, user: string, params: string[]) => Promise<void>;

  const triggerBuild: Handler = async (req, res, user) => {
    const body = await readBody(req, TriggerBody);
    if (body.isErr()) return sendError(res, body.error);
    const { idempotency_key, ...card } = body.value;
    const created = await orchestrator.createRun({
      project_id: project.project_id,
      scope: "card",
      card_id: card.card_id,
      trigger_type: "card",
      initiated_by: `user:${user}`,
      repo_url: project.repo_url,
      base_branch: project.base_branch,
      cards: [card],
      policy: project.policy,
      ...(idempotency_key === undefined ? {} : { idempotency_key }),
    });
    if (created.isErr()) return sendError(res, created.error);
    const { run, assignments, replayed } = created.value;
    // A replayed request names a run that is already being built (or was): don't start a second build.
    if (!replayed) drive(run.id);
    sendJson(res, replayed ? 200 : 202, {
      run_id: run.id,
      assignments: assignments.map((a) => ({
        id: a.id,
        card_id: a.card_id,
        feature_branch: a.feature_branch,
      })),
      links: { run: `/runs/${run.id}`, events: `/runs/${run.id}/events` },
    });
  };

  const listRuns: Handler = async (req, res) => {
    const url = new URL(req.url ?? "/", "http://host");
    const query = ListQuery.safeParse({
      phase: url.searchParams.getAll("phase").length ? url.searchParams.getAll("phase") : undefined,
      card_id: url.searchParams.get("card_id") ?? undefined,
      limit: url.searchParams.get("limit") ?? undefined,
      cursor: url.searchParams.get("cursor") ?? undefined,
    });
    if (!query.success) return sendError(res, invalidRequest("invalid_query", z.prettifyError(query.error)));
    const { phase, card_id, limit, cursor } = query.data;
    const page = await orchestrator.listRuns({
      project_id: project.project_id,
      limit,
      ...(phase === undefined ? {} : { phases: phase }),
      ...(card_id === undefined ? {} : { card_id }),
      ...(cursor === undefined ? {} : { cursor }),
    });
    page.match(
      (p) => sendJson(res, 200, p),
      (e) => sendError(res, e),
    );
  };

  const getRun: Handler = async (_req, res, _user, [run_id = ""]) => {
    (await orchestrator.getRun(run_id)).match(
      (state) => sendJson(res, 200, state),
      (e) => sendError(res, e),
    );
  };

  const followRun: Handler = async (req, res, _user, [run_id = ""]) => {
    // Answer 404 (not an empty stream) for a run that does not exist.
    const exists = await orchestrator.getRun(run_id);
    if (exists.isErr()) return sendError(res, exists.error);
    const after = Number(
      headerValue(req, "last-event-id") ??
        new URL(req.url ?? "/", "http://host").searchParams.get("after") ??
        0,
    );
    if (!Number.isSafeInteger(after) || after < 0) {
      return sendError(
        res,
        invalidRequest("invalid_last_event_id", "Last-Event-ID must be an event sequence"),
      );
    }
    openStreams++;
    await streamEvents(
      res,
      (signal) =>
        orchestrator.events({ run_id, after }, { signal: AbortSignal.any([signal, shutdown.signal]) }),
      {
        heartbeat_ms: options.heartbeat_ms ?? 15_000,
        onClose: () => openStreams--,
      },
    );
  };

  const decideApproval: Handler = async (req, res, user, [run_id = "", approval_id = ""]) => {
    const body = await readBody(req, DecisionBody);
    if (body.isErr()) return sendError(res, body.error);
    const decided = await orchestrator.recordApprovalDecision({
      run_id,
      approval_id,
      decided_by: `user:${user}`,
      ...body.value,
    });
    if (decided.isErr()) return sendError(res, decided.error);
    const { approval, assignment } = decided.value;
    // Once every approval the card needs is granted, the card is `approved` and may become a draft PR: rungate
    // checks the gate again itself, so this can only ever propose what people approved, for that exact head.
    if (assignment.phase !== "approved")
      return sendJson(res, 200, { approval, assignment, pull_request: null });
    const pr = await orchestrator.createPullRequestCandidate({ assignment_id: assignment.id });
    if (pr.isErr()) return sendError(res, pr.error);
    sendJson(res, 201, { approval, assignment, pull_request: pr.value });
  };

  const requestApproval: Handler = async (_req, res, _user, [run_id = "", assignment_id = ""]) => {
    const state = await orchestrator.getRun(run_id);
    if (state.isErr()) return sendError(res, state.error);
    if (!state.value.assignments.some((a) => a.id === assignment_id)) {
      return sendError(res, notFound("card", assignment_id));
    }
    (await orchestrator.requestApproval({ assignment_id })).match(
      (requested) => sendJson(res, 200, requested),
      (e) => sendError(res, e), // gate_closed: the gate's reasons, one per unmet condition
    );
  };

  const cancelRun: Handler = async (_req, res, user, [run_id = ""]) => {
    (await orchestrator.cancelRun({ run_id, cancelled_by: `user:${user}` })).match(
      (state) => sendJson(res, 200, state),
      (e) => sendError(res, e),
    );
  };

  const id = "([0-9a-fA-F-]{36})";
  const routes: [method: string, path: RegExp, handler: Handler][] = [
    ["POST", /^\/runs$/, triggerBuild],
    ["GET", /^\/runs$/, listRuns],
    ["GET", new RegExp(`^/runs/${id}$`), getRun],
    ["GET", new RegExp(`^/runs/${id}/events$`), followRun],
    ["POST", new RegExp(`^/runs/${id}/approvals/${id}$`), decideApproval],
    ["POST", new RegExp(`^/runs/${id}/cards/${id}/approval-request$`), requestApproval],
    ["POST", new RegExp(`^/runs/${id}/cancel$`), cancelRun],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://host").pathname;
    const matching = routes.filter(([, pattern]) => pattern.test(path));
    if (matching.length === 0) return sendError(res, notFound("route", path));
    const route = matching.find(([method]) => method === req.method);
    if (!route) {
      res.setHeader("allow", matching.map(([method]) => method).join(", "));
      return sendProblem(res, 405, "method_not_allowed", `${req.method} is not allowed on ${path}`);
    }
    const user = authenticate(req);
    if (user === null || !PersonId.safeParse(user).success) {
      return sendProblem(res, 401, "unauthenticated", "sign in first");
    }
    const [, pattern, handler] = route;
    await handler(req, res, user, (pattern.exec(path) ?? []).slice(1));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) sendProblem(res, 500, "internal", "internal error");
      else res.end();
    });
  });

  return {
    server,
    get openStreams() {
      return openStreams;
    },
    listen: async (port = 0) => {
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    idle: async () => {
      while (builds.size > 0) await Promise.all([...builds]);
    },
    close: async () => {
      shutdown.abort(); // ends the event streams, and interrupts the builds (they stay resumable)
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      while (builds.size > 0) await Promise.all([...builds]);
      // What is left are keep-alive sockets and requests still in flight: cut them, we are going away.
      server.closeAllConnections();
      await closed;
    },
  };
}

function headerValue(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === "string" && value !== "" ? value : null;
}

function notFound(entity: string, id: string): RungateError {
  return rungateError("not_found", "not_found", { entity, id });
}
