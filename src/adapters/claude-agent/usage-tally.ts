import type { AgentUsage } from "../../core/schemas/agent-execution.js";
import type { ApiUsage } from "./claude-messages.js";

/** Token counts as the Anthropic API splits them. */
export interface ApiTokens {
  readonly input: number;
  readonly output: number;
  readonly cache_read: number;
  readonly cache_creation: number;
}

/**
 * rungate's {@link AgentUsage} from the API's counts. The API counts fresh input, cache writes and cache
 * reads apart; rungate's `input_tokens` is all the input the model read (cache reads are part of the input,
 * as `usageTokens` counts them), with the cache reads also given apart as `cached_input_tokens`.
 */
export function toAgentUsage(tokens: ApiTokens): AgentUsage {
  return {
    input_tokens: Math.round(tokens.input + tokens.cache_creation + tokens.cache_read),
    output_tokens: Math.round(tokens.output),
    cached_input_tokens: Math.round(tokens.cache_read),
  };
}

/** The dispatcher's own count of a session's usage, from the usage on each assistant message. */
export interface UsageTally {
  /**
   * Records the usage of one API response. Claude Code may send one response as several assistant messages
   * sharing its id, each with the response's usage: the latest counts once. Answers whether the totals moved.
   */
  add(messageId: string | undefined, usage: ApiUsage): boolean;
  /** The totals so far. */
  usage(): AgentUsage;
  /** API responses seen (the model's turns). */
  responses(): number;
}

/** A fresh {@link UsageTally}. */
export function createUsageTally(): UsageTally {
  const byResponse = new Map<string, ApiTokens>();
  let anonymous = 0;
  const total: { -readonly [K in keyof ApiTokens]: number } = {
    input: 0,
    output: 0,
    cache_read: 0,
    cache_creation: 0,
  };
  return {
    add(messageId, usage) {
      const next: ApiTokens = {
        input: usage.input_tokens,
        output: usage.output_tokens,
        cache_read: usage.cache_read_input_tokens ?? 0,
        cache_creation: usage.cache_creation_input_tokens ?? 0,
      };
      const key = messageId ?? `(no id ${anonymous++})`;
      const before = byResponse.get(key) ?? { input: 0, output: 0, cache_read: 0, cache_creation: 0 };
      byResponse.set(key, next);
      let moved = false;
      for (const k of ["input", "output", "cache_read", "cache_creation"] as const) {
        const delta = next[k] - before[k];
        if (delta !== 0) moved = true;
        total[k] += delta;
      }
      return moved;
    },
    usage: () => toAgentUsage(total),
    responses: () => byResponse.size,
  };
}
