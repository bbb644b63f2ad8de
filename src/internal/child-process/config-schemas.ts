import { z } from "zod";
import type { ProcessSandbox } from "../../ports/process-sandbox.js";
import { ENV_NAME_PATTERN } from "./child-env.js";

/** An environment variable name, or a prefix ending in `*` (e.g. `NODE_*`), for allow-lists. */
export const EnvName = z
  .string()
  .regex(ENV_NAME_PATTERN, "an environment variable name, or a prefix ending in * (e.g. NODE_*)");

/** An exact environment variable name. */
export const ExactEnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name");

/** A regular-expression source that compiles. */
export const RegexSource = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        new RegExp(source, "g");
        return true;
      } catch {
        return false;
      }
    },
    { message: "not a valid regular expression" },
  );

/** A `ProcessSandbox` option, checked by shape (an object with a `wrap` method, not JSON). */
export const SandboxOption = z.custom<ProcessSandbox>(
  (v) => typeof v === "object" && v !== null && typeof (v as { wrap?: unknown }).wrap === "function",
  "expected a ProcessSandbox (e.g. createBubblewrapSandbox() from rungate/sandbox)",
);
