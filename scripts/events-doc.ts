/**
 * Renders docs/events.md from `RUN_EVENT_CATALOGUE`, so the documented event types and payloads cannot drift
 * from the code. `npx tsx scripts/events-doc.ts --write` rewrites the file; the test suite checks it.
 */
import { writeFileSync } from "node:fs";
import { z } from "zod";
import { RUN_EVENT_CATALOGUE, RUN_LOG_EVENT_TYPES } from "../src/index.js";

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  format?: string;
};

/** A short type for a payload field, from its JSON Schema. */
function typeOf(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.length <= 6 ? schema.enum.map((v) => `\`${v}\``).join(" \\| ") : "enum";
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" \\| ");
  if (schema.type === "array") return `${schema.items ? typeOf(schema.items) : "unknown"}[]`;
  if (schema.format === "uuid") return "uuid";
  if (Array.isArray(schema.type)) return schema.type.join(" \\| ");
  return schema.type ?? "any";
}

function fields(type: (typeof RUN_LOG_EVENT_TYPES)[number]): string {
  const json = z.toJSONSchema(RUN_EVENT_CATALOGUE[type].payload, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {})
    .map(([name, schema]) => `\`${name}${json.required?.includes(name) ? "" : "?"}\`: ${typeOf(schema)}`)
    .join("<br>");
}

/** The full text of docs/events.md. */
export function eventsDoc(): string {
  const rows = RUN_LOG_EVENT_TYPES.map(
    (type) => `| \`${type}\` | ${RUN_EVENT_CATALOGUE[type].about} | ${fields(type)} |`,
  );
  return `# Run events

Generated from \`RUN_EVENT_CATALOGUE\` by \`scripts/events-doc.ts\`; the test suite fails when this file and
the code disagree.

Every state change rungate makes is stored together with an event in the run's append-only log (one atomic
write), numbered by \`sequence\` (1, 2, 3… per run, without gaps). Each event has an \`id\`, the \`run_id\` and
\`project_id\`, the \`actor\` (\`user:…\`, \`system:…\`, \`agent:…\`, \`pr_host:…\`), \`created_at\`, an
\`event_type\` from the table below, and a \`payload\` of that type's shape. Payloads pass the redaction
boundary like every stored record. Read them typed with \`orchestrator.events()\` (a \`TypedRunEvent\`:
switching on \`event_type\` narrows \`payload\`) or check a stored one with \`parseRunEvent\`. Payloads are
open: a field may be added in a later version, never removed or retyped within one major version.

| event_type | meaning | payload |
| --- | --- | --- |
${rows.join("\n")}
`;
}

if (process.argv.includes("--write")) {
  writeFileSync(new URL("../docs/events.md", import.meta.url), eventsDoc());
}
