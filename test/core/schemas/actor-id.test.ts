import { describe, expect, it } from "vitest";
import { actorOf, formatActor, UserActorId } from "../../../src/core/schemas/actor-id.js";

describe("actor ids", () => {
  it("reads typed ids by their type and bare ids as users", () => {
    expect(actorOf("agent:coder")).toEqual({ type: "agent", id: "coder" });
    expect(actorOf("pr_host:github")).toEqual({ type: "pr_host", id: "github" });
    expect(actorOf("user:a:b")).toEqual({ type: "user", id: "a:b" });
    expect(actorOf("alice")).toEqual({ type: "user", id: "alice" });
    expect(formatActor(actorOf("alice"))).toBe("user:alice");
  });

  it("takes only a person where a person must act, and answers the typed form", () => {
    expect(UserActorId.parse("user:alice")).toBe("user:alice");
    expect(UserActorId.parse("alice")).toBe("user:alice");
    for (const refused of ["agent:coder", "system:rungate", "pr_host:github", "bot:x", ""]) {
      expect(UserActorId.safeParse(refused).success, refused).toBe(false);
    }
  });
});
