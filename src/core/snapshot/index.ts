export { canonicalJson } from "./canonical-json.js";
export { type DeepReadonly, deepFreeze } from "./deep-freeze.js";
export { sha256Hex } from "./sha256.js";
export { captureSnapshot, hashSnapshotValue, type Snapshot, verifySnapshot } from "./snapshot.js";
