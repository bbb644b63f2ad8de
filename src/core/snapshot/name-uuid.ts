import { sha256Hex } from "./sha256.js";

/**
 * A UUID derived from a name (SHA-256 based, version-5 layout): the same name always gives the same id.
 * Used where a record must keep its id when it is derived again after a crash (e.g. the record of an agent
 * commit read back from git twice), so that storage can recognise the repeat.
 */
export function nameUuid(name: string): string {
  const h = sha256Hex(name);
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
