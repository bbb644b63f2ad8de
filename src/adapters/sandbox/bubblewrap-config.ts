import { z } from "zod";

/** Options of `createBubblewrapSandbox`. */
export const BubblewrapSandboxConfig = z
  .strictObject({
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
    /**
     * With `network: "none"`, the hosts the process may still reach (e.g. its model's API): `host` (port
     * 443) or `host:port`, through an HTTPS CONNECT proxy rungate runs outside the sandbox. The program must
     * honour `HTTPS_PROXY` (set for it); anything else stays without a network. See docs/adapters/sandbox.md.
     */
    allow_hosts: z
      .array(z.string().regex(/^([a-z0-9.-]+|\[[0-9a-f:]+\])(:\d{1,5})?$/i, "expected host or host:port"))
      .default([]),
  })
  .refine((c) => c.allow_hosts.length === 0 || c.network === "none", {
    message: 'allow_hosts needs network: "none" (with "host" every host is reachable anyway)',
    path: ["allow_hosts"],
  });
/** {@link BubblewrapSandboxConfig} as written by a user. */
export type BubblewrapSandboxConfigInput = z.input<typeof BubblewrapSandboxConfig>;
