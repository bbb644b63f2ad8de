import { describe, expect, it } from "vitest";
import { AgentExecution, AgentOutcome } from "../../core/schemas/agent-execution.js";
import type { AgentDispatcher, AgentDispatchRequest, AgentProgress } from "../../ports/agent-dispatcher.js";
import { errOf, okOf, tracePortCalls } from "./port-calls.js";

/** The report fields of an outcome, each optional, as {@link AgentExecution} stores them. */
const AgentReport = AgentExecution.pick({
  session_id: true,
  usage: true,
  cost_usd: true,
  num_turns: true,
  terminal_reason: true,
  permission_denials: true,
  final_message: true,
})
  .partial()
  .strict();

/** What {@link describeAgentDispatcherContract} needs from the adapter under test, fresh for every case. */
export interface AgentDispatcherContractHarness {
  /** The adapter under test. */
  readonly dispatcher: AgentDispatcher;
  /**
   * A request for a ready assignment whose worktree exists (clone, feature branch and worktree set up), with
   * a fresh `execution_id`.
   */
  prepare(): Promise<AgentDispatchRequest>;
  /** The current head sha of the request's feature branch. */
  readHead(request: AgentDispatchRequest): Promise<string>;
  /**
   * Optional: arranges that the next dispatch of `request` commits at least once on its feature branch (a
   * scripted step, a command that commits). Without it the "head moves" case is skipped.
   */
  scriptCommit?(request: AgentDispatchRequest): void | Promise<void>;
}

/** Options of {@link describeAgentDispatcherContract}. */
export interface AgentDispatcherContractOptions {
  /** The adapter's name, shown in the suite title. */
  readonly name: string;
  /** Builds a fresh harness; called once per case. */
  readonly make: () => AgentDispatcherContractHarness | Promise<AgentDispatcherContractHarness>;
}

/**
 * The behaviour every {@link AgentDispatcher} must show, as a vitest suite titled
 * `AgentDispatcher contract: <name>`: a dispatch ends with an ok outcome of a known kind; a commit the
 * agent makes moves the feature branch's head; a repeated call with the same execution id starts nothing
 * and answers the same outcome; an already-aborted signal fails with `cancelled`; progress lines carry the
 * execution id; the report fields an outcome carries (session, usage, cost, turns, terminal reason, denials,
 * final message) are of the shapes an execution stores. Call it at the top level of a test file.
 */
export function describeAgentDispatcherContract(options: AgentDispatcherContractOptions): void {
  describe(`AgentDispatcher contract: ${options.name}`, () => {
    /**
     * A fresh harness and its `dispatcher` traced, so a failure names the method (`dispatcher.dispatch`).
     * Only the port is traced: the harness stays the user's object, and its own methods are called on it.
     */
    async function make(): Promise<{ harness: AgentDispatcherContractHarness; dispatcher: AgentDispatcher }> {
      const harness = await options.make();
      return { harness, dispatcher: tracePortCalls(harness.dispatcher, "dispatcher") };
    }

    it("has a name", async () => {
      const { dispatcher } = await options.make();
      expect(typeof dispatcher.name).toBe("string");
      expect(dispatcher.name.length).toBeGreaterThan(0);
    });

    it("answers a dispatch with an ok outcome of a known kind", async () => {
      const { harness, dispatcher } = await make();
      const request = await harness.prepare();
      const result = await okOf(dispatcher.dispatch(request));
      expect(AgentOutcome.safeParse(result.outcome).success).toBe(true);
      const { exit_code, summary } = result;
      expect(exit_code === null || Number.isInteger(exit_code)).toBe(true);
      expect(summary === null || typeof summary === "string").toBe(true);
    });

    it("reports the agent's session, usage, cost, turns and end, when it does, as an execution stores them", async () => {
      const { harness, dispatcher } = await make();
      const request = await harness.prepare();
      const result = await okOf(dispatcher.dispatch(request));
      // Only what the dispatcher reports is checked: a line-printing agent reports none of it.
      const { outcome: _o, exit_code: _e, summary: _s, ...report } = result;
      const stored = AgentReport.safeParse(report);
      expect(stored.success, stored.success ? "" : `report fields: ${stored.error.message}`).toBe(true);
    });

    it("moves the feature branch head when the agent commits", async (ctx) => {
      const { harness, dispatcher } = await make();
      const scriptCommit = harness.scriptCommit;
      if (!scriptCommit) return ctx.skip();
      const request = await harness.prepare();
      const before = await harness.readHead(request);
      await scriptCommit.call(harness, request);
      await okOf(dispatcher.dispatch(request));
      expect(await harness.readHead(request)).not.toBe(before);
    });

    it("starts the agent once per execution id: a repeated call (or a takeover) answers the first run's outcome", async () => {
      const { harness, dispatcher } = await make();
      const request = await harness.prepare();
      await harness.scriptCommit?.(request);
      const first = await okOf(dispatcher.dispatch(request));
      const head = await harness.readHead(request);
      const again = await okOf(dispatcher.dispatch(request));
      // Another holder of the card, after this one's lease passed, hands the same execution back.
      const taken = await okOf(dispatcher.dispatch({ ...request, takeover: true }));
      expect(again).toEqual(first);
      expect(taken).toEqual(first);
      expect(await harness.readHead(request)).toBe(head);
    });

    it("fails with cancelled when the signal is already aborted", async () => {
      const { harness, dispatcher } = await make();
      const request = await harness.prepare();
      const controller = new AbortController();
      controller.abort();
      const error = await errOf(dispatcher.dispatch(request, { signal: controller.signal }));
      expect(error.kind).toBe("cancelled");
    });

    it("reports progress lines that carry the execution id", async () => {
      const { harness, dispatcher } = await make();
      const request = await harness.prepare();
      const lines: AgentProgress[] = [];
      await okOf(dispatcher.dispatch(request, { onProgress: (p) => lines.push(p) }));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line.execution_id).toBe(request.execution_id);
        expect(typeof line.message).toBe("string");
      }
    });
  });
}
