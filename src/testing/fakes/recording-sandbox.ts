import { err, ok } from "neverthrow";
import { rungateError } from "../../core/errors.js";
import type { ProcessSandbox, SandboxedProcessSpec } from "../../ports/process-sandbox.js";

/** A stand-in {@link ProcessSandbox}: it contains nothing, and tells what it was asked. */
export interface RecordingSandbox extends ProcessSandbox {
  /** Every spec `wrap` was given, in order. */
  readonly wrapped: readonly SandboxedProcessSpec[];
}

/**
 * A {@link ProcessSandbox} for unit tests of what asks for a sandbox (a dispatcher, a check runner, your own
 * adapter): `wrap` records the spec and returns the argv unchanged, so the process runs **unsandboxed**.
 * With `unavailable: true` every `wrap` fails as a real sandbox does when it cannot run (`port_failure`,
 * `sandbox_unavailable`), to prove that nothing starts then. Never use it to contain anything.
 */
export function createRecordingSandbox(options: { readonly unavailable?: boolean } = {}): RecordingSandbox {
  const wrapped: SandboxedProcessSpec[] = [];
  return {
    name: "recording-sandbox",
    wrapped,
    wrap(spec) {
      wrapped.push(spec);
      if (options.unavailable === true) {
        return err(
          rungateError("port_failure", "sandbox_unavailable", {
            port: "ProcessSandbox",
            adapter: "recording-sandbox",
            operation: "wrap",
            retryable: false,
            cause: "the recording sandbox was made unavailable",
          }),
        );
      }
      return ok({ argv: [...spec.argv] });
    },
  };
}
