// Names that become arguments of `codex exec`: the SDK passes them as separate arguments (no shell), but one
// starting with `-` would still be read by Codex as an option, so each is held to a plain shape.

/** A Codex thread id as rungate accepts it (Codex's are UUIDs), from a request or from an event. */
export const THREAD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

/** A model name as rungate passes it to `--model`: no leading `-`, no spaces. */
export const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;
