import { Uuid } from "../core/schemas/primitives.js";
import { nameUuid } from "../core/snapshot/name-uuid.js";

/**
 * The rungate id of a reference id: the id itself when it is a UUID (what the reference writes), else a
 * name-based UUID of the table and the id, the same on every import, so a second import finds the records the
 * first one wrote and references between rows still meet.
 */
export function rungateId(table: string, id: string): string {
  return Uuid.safeParse(id).success ? id.toLowerCase() : nameUuid(`dossier:${table}:${id}`);
}
