/** A value whose every nested property is read-only. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Objects {@link deepFreeze} froze all the way down, with only data properties: their content can never
 * change, so what is computed from it (a snapshot's hash) can be computed once.
 */
const deeplyFrozen = new WeakSet<object>();

/**
 * Freezes `value` and everything reachable from it, in place, and returns it. Frozen objects are skipped,
 * so shared or already-frozen subtrees cost nothing and cycles terminate.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  let deep = true;
  for (const key of Reflect.ownKeys(value)) {
    const property = Object.getOwnPropertyDescriptor(value, key);
    // An accessor may answer differently each time: such an object is frozen but never counted as unchanging.
    if (property === undefined || !("value" in property)) {
      deep = false;
      continue;
    }
    const inner: unknown = deepFreeze(property.value);
    if (typeof inner === "object" && inner !== null && !deeplyFrozen.has(inner)) deep = false;
  }
  if (deep) deeplyFrozen.add(value);
  return value;
}

/**
 * Whether `value` is an object {@link deepFreeze} froze all the way down (data properties only): one whose
 * content cannot change. An object frozen any other way (`Object.freeze` alone) answers false.
 */
export function isDeeplyFrozen(value: unknown): boolean {
  return typeof value === "object" && value !== null && deeplyFrozen.has(value);
}
