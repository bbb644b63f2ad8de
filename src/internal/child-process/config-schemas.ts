import { z } from "zod";
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
