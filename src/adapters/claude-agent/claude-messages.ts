import { z } from "zod";

// The SDK's messages, as far as the dispatcher reads them. Parsed loosely (unknown fields kept, odd fields
// dropped to a default): the stream comes from another program, and a field it renames must not fail a run.

const Count = z.number().nonnegative().finite();

/** An API response's usage (Anthropic Messages API). */
export const ApiUsage = z.looseObject({
  input_tokens: Count.catch(0),
  output_tokens: Count.catch(0),
  cache_creation_input_tokens: Count.nullish().catch(null),
  cache_read_input_tokens: Count.nullish().catch(null),
});
/** Parsed {@link ApiUsage}. */
export type ApiUsage = z.infer<typeof ApiUsage>;

/** One model's totals in a result's `modelUsage`. */
const ModelUsage = z.looseObject({
  inputTokens: Count.catch(0),
  outputTokens: Count.catch(0),
  cacheReadInputTokens: Count.catch(0),
  cacheCreationInputTokens: Count.catch(0),
});

/** A content block of an assistant or user message. */
const ContentBlock = z.union([
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.record(z.string(), z.unknown()).catch({}),
  }),
  z.looseObject({ type: z.literal("tool_result"), tool_use_id: z.string(), is_error: z.boolean().nullish() }),
  z.looseObject({ type: z.string() }),
]);
/** Parsed content block. */
export type ContentBlock = z.infer<typeof ContentBlock>;

const AssistantMessage = z.looseObject({
  type: z.literal("assistant"),
  message: z.looseObject({
    id: z.string().optional().catch(undefined),
    content: z.array(ContentBlock).catch([]),
    usage: ApiUsage.nullish().catch(null),
  }),
  parent_tool_use_id: z.string().nullish().catch(null),
  /** Set on a message that carries an API error (`authentication_failed`, `billing_error`, …). */
  error: z.string().optional().catch(undefined),
});

const UserMessage = z.looseObject({
  type: z.literal("user"),
  message: z.looseObject({ content: z.union([z.string(), z.array(ContentBlock)]).catch([]) }),
  tool_use_result: z.unknown().optional(),
});

const SystemInit = z.looseObject({
  type: z.literal("system"),
  subtype: z.literal("init"),
  session_id: z.string().catch(""),
  model: z.string().optional().catch(undefined),
  claude_code_version: z.string().optional().catch(undefined),
  permissionMode: z.string().optional().catch(undefined),
});

const AuthStatus = z.looseObject({
  type: z.literal("auth_status"),
  error: z.string().optional().catch(undefined),
});

const ResultMessage = z.looseObject({
  type: z.literal("result"),
  subtype: z.string(),
  is_error: z.boolean().catch(true),
  num_turns: z.number().int().nonnegative().optional().catch(undefined),
  total_cost_usd: Count.optional().catch(undefined),
  usage: ApiUsage.optional().catch(undefined),
  modelUsage: z.record(z.string(), ModelUsage).optional().catch(undefined),
  permission_denials: z
    .array(
      z.looseObject({
        tool_name: z.string().catch("(unknown)"),
        tool_use_id: z.string().catch(""),
        tool_input: z.record(z.string(), z.unknown()).catch({}),
      }),
    )
    .catch([]),
  /** The final text (or, with `is_error`, the error's text). */
  result: z.string().optional().catch(undefined),
  errors: z.array(z.string()).optional().catch(undefined),
  session_id: z.string().optional().catch(undefined),
  terminal_reason: z.string().optional().catch(undefined),
  api_error_status: z.number().nullish().catch(null),
  /** Not in the SDK's types: what Claude Code 2.1 sets next to an API error (`no_credential`). */
  api_error: z.string().optional().catch(undefined),
  startup_failure_reason: z.string().optional().catch(undefined),
});
/** Parsed result message: how the session ended. */
export type ResultMessage = z.infer<typeof ResultMessage>;

/** A message of the SDK the dispatcher acts on; anything else is `other`. */
export type ClaudeMessage =
  | z.infer<typeof AssistantMessage>
  | z.infer<typeof UserMessage>
  | z.infer<typeof SystemInit>
  | z.infer<typeof AuthStatus>
  | ResultMessage
  | { readonly type: "other" };

const SCHEMAS = {
  assistant: AssistantMessage,
  user: UserMessage,
  auth_status: AuthStatus,
  result: ResultMessage,
} as const;

/** Reads one message of the SDK's stream. */
export function parseClaudeMessage(raw: unknown): ClaudeMessage {
  if (typeof raw !== "object" || raw === null) return { type: "other" };
  const type = (raw as { type?: unknown }).type;
  const subtype = (raw as { subtype?: unknown }).subtype;
  const schema =
    type === "system" && subtype === "init" ? SystemInit : SCHEMAS[String(type) as keyof typeof SCHEMAS];
  const parsed = schema?.safeParse(raw);
  return parsed?.success ? parsed.data : { type: "other" };
}

/** Totals of a result's `modelUsage` (every model call of the query), or `null` when it has none. */
export function modelUsageTotals(
  result: ResultMessage,
): { input: number; output: number; cache_read: number; cache_creation: number } | null {
  const models = Object.values(result.modelUsage ?? {});
  if (models.length === 0) return null;
  return models.reduce(
    (sum, m) => ({
      input: sum.input + m.inputTokens,
      output: sum.output + m.outputTokens,
      cache_read: sum.cache_read + m.cacheReadInputTokens,
      cache_creation: sum.cache_creation + m.cacheCreationInputTokens,
    }),
    { input: 0, output: 0, cache_read: 0, cache_creation: 0 },
  );
}
