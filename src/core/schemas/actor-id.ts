import { z } from "zod";
import { type Actor, ActorType } from "./primitives.js";

const TYPED = /^(user|system|agent|pr_host):(.+)$/s;

/**
 * Reads an actor id as rungate writes them, `type:id` (`user:alice`, `agent:coder`, `system:rungate`,
 * `pr_host:github`). A bare id without a type (`alice`, as hosts wrote `initiated_by` before actors were
 * typed) is read as a user. Total: every string is some actor; use {@link UserActorId} where the type matters.
 */
export function actorOf(actor_id: string): Actor {
  const typed = TYPED.exec(actor_id);
  return typed
    ? { type: ActorType.parse(typed[1]), id: typed[2] ?? actor_id }
    : { type: "user", id: actor_id };
}

/** `type:id`, the way actors are written into records and the event log. */
export function formatActor(actor: Actor): string {
  return `${actor.type}:${actor.id}`;
}

/**
 * The identity of a person, where only a person may act (an approval decision, a cancel). Written
 * `user:<id>`; a bare id with no colon is read as a user too and comes back typed. Refused: another actor type
 * (`agent:coder`, `system:…`, `pr_host:…`), and an untyped id with a colon (`bot:x`: which actor is that?).
 * Parses to the typed form, so a stored decision always says `user:…`.
 */
export const UserActorId = z
  .string()
  .min(1)
  .max(512)
  .superRefine((value, ctx) => {
    const typed = TYPED.exec(value);
    if (typed && typed[1] !== "user") {
      ctx.addIssue({
        code: "custom",
        params: { code: "actor_not_a_user" },
        message: `only a person can do this: "${value}" is a ${typed[1]} actor, not user:<id>`,
      });
    } else if (!typed && value.includes(":")) {
      ctx.addIssue({
        code: "custom",
        params: { code: "actor_type_unknown" },
        message: `"${value}" names no known actor type; write the person as user:<id>`,
      });
    }
  })
  .transform((value) => formatActor(actorOf(value)));
