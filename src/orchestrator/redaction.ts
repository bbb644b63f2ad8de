import { z } from "zod";
import {
  createSecretRedactor,
  REDACTED_MARK,
  type SecretRedactor,
} from "../core/redaction/secret-redactor.js";
import type { RungatePorts } from "../ports/ports.js";

/** The redaction options an orchestrator and a worker share (zod shape: spread into their option schemas). */
export const RedactionOptions = {
  /**
   * Secret values rungate must never store or emit, on top of those its adapters declare
   * (`secret_values`): e.g. `secretsFromEnvironment(process.env)`, since an agent outside a sandbox can read
   * its parent's environment. Values shorter than 8 characters are ignored.
   */
  secrets: z.array(z.string()).default([]),
  /**
   * Extra patterns to redact from everything stored or emitted (each match is redacted whole). A pattern
   * that matches the mark itself is refused: redacting twice would change a record, and a hashed snapshot
   * would no longer verify.
   */
  redact_patterns: z
    .array(
      z
        .custom<RegExp>((v) => v instanceof RegExp, "expected a RegExp")
        .refine((p) => !new RegExp(p.source, p.flags.replace("g", "")).test(REDACTED_MARK), {
          message: `a redact pattern must not match the mark "${REDACTED_MARK}"`,
        }),
    )
    .default([]),
};

/** Every secret value the ports declare they were given (`secret_values` of each port, where present). */
export function portSecretValues(ports: RungatePorts): string[] {
  const holders = [ports.git, ports.storage, ports.dispatcher, ports.checks, ports.pullRequests];
  return holders.flatMap((p) => [...((p as { secret_values?: readonly string[] }).secret_values ?? [])]);
}

/** The redactor for `ports`: the host's secrets and patterns, plus every secret the ports declare. */
export function redactorFor(
  ports: RungatePorts,
  options: { readonly secrets: readonly string[]; readonly redact_patterns: readonly RegExp[] },
): SecretRedactor {
  return createSecretRedactor({
    secrets: [...options.secrets, ...portSecretValues(ports)],
    patterns: options.redact_patterns,
  });
}
