import { describe, expect, it } from "vitest";
import { isAllowed } from "../../../src/adapters/sandbox/egress-proxy.js";

describe("the sandbox's egress allow-list", () => {
  it("allows a bare host on 443 only, a host:port on that port only, case-insensitively", () => {
    const allow = ["api.anthropic.com", "127.0.0.1:8080", "[::1]:9000"];
    expect(isAllowed(allow, "API.Anthropic.com", 443)).toBe(true);
    expect(isAllowed(allow, "api.anthropic.com", 80)).toBe(false);
    expect(isAllowed(allow, "127.0.0.1", 8080)).toBe(true);
    expect(isAllowed(allow, "127.0.0.1", 8081)).toBe(false);
    expect(isAllowed(allow, "[::1]", 9000)).toBe(true);
    expect(isAllowed(allow, "evil.anthropic.com.attacker.test", 443)).toBe(false);
    expect(isAllowed(allow, "anthropic.com", 443)).toBe(false);
    expect(isAllowed([], "api.anthropic.com", 443)).toBe(false);
  });
});
