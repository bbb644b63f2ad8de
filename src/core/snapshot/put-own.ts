/**
 * Sets `key` on a plain object being built as an own, enumerable data property. `target[key] = value` would do
 * the same for every key but `"__proto__"` (which `JSON.parse` and hosts can hand us as an ordinary key): that
 * assignment sets the object's prototype instead, and the key and its value vanish from the data.
 */
export function putOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
