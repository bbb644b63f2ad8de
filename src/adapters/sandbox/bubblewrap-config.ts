import { z } from "zod";

/** Options of `createBubblewrapSandbox`. */
export const BubblewrapSandboxConfig = z.strictObject({
  /** The sandbox's name in errors (default `"bubblewrap"`). */
  name: z.string().min(1).default("bubblewrap"),
  /** The `bwrap` executable: an absolute path, or a name looked up on `PATH` (default `bwrap`). */
  bwrap_path: z.string().min(1).default("bwrap"),
  /**
   * `none` (default): a network namespace of its own with only loopback, so nothing leaves the machine.
   * `host`: the host's network, for an agent that must reach its model's API (see docs: not an allow-list).
   */
  network: z.enum(["none", "host"]).default("none"),
  /**
   * Directories replaced by an empty one inside the sandbox, so nothing in them can be read (default: the
   * user's home directory, where credentials usually live). `/tmp` is always private.
   */
  hide: z.array(z.string().startsWith("/", "an absolute path")).optional(),
  /**
   * Paths bound read-only even where they would be hidden (under `/tmp` or a hidden directory): an agent's
   * program or its configuration kept there.
   */
  read_only: z.array(z.string().startsWith("/", "an absolute path")).default([]),
  /** A per-host allow-list for the network: not supported yet; refused rather than ignored. */
  allow_hosts: z
    .array(z.string())
    .max(0, 'allow_hosts is not supported yet: use network: "none", or "host" with your own egress proxy')
    .optional(),
});
/** {@link BubblewrapSandboxConfig} as written by a user. */
export type BubblewrapSandboxConfigInput = z.input<typeof BubblewrapSandboxConfig>;
