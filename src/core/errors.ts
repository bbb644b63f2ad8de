/**
 * The one error union of rungate. Every public function that can fail returns a `Result` whose error is a
 * {@link RungateError}; `kind` says what went wrong, `code` says which rule, `detail` carries the data,
 * `message` is the sentence a person reads. Wording lives in {@link formatError}'s tables only, so the checks
 * never carry prose.
 */

/** Every error kind, as data (the parity test walks this list). */
export const ERROR_KINDS = [
  "validation",
  "policy_violation",
  "invalid_transition",
  "gate_closed",
  "not_found",
  "conflict",
  "port_failure",
  "cancelled",
  "timeout",
] as const;

/** One of {@link ERROR_KINDS}. */
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** A problem found on one field of an input: where, what was there, which rule it broke. */
export interface FieldIssue {
  /** Path to the field, e.g. `["cards", 0, "allowed_paths", 1]`. */
  readonly path: readonly (string | number)[];
  /** Machine code of the broken rule. */
  readonly code: string;
  /** Human sentence for this one issue. */
  readonly message: string;
}

/** A single rule of the {@link SystemPolicyProfile} (or of the run input's shape) that the input broke. */
export interface PolicyViolation {
  /** Machine code, one of {@link VIOLATION_CODES}. */
  readonly code: ViolationCode;
  /** Path to the offending field in the run input. */
  readonly path: readonly (string | number)[];
  /** The offending value, as given. */
  readonly value: unknown;
  /** The rule that was broken, e.g. the forbidden glob or the required check. */
  readonly rule: string;
  /** Human sentence naming the field and the rule. */
  readonly message: string;
}

/** Every policy violation code, as data (the parity test walks this list). */
export const VIOLATION_CODES = [
  "invalid_input",
  "project_mismatch",
  "scope_workflow_requires_workflow_id",
  "scope_workflow_forbids_card_id",
  "scope_card_requires_card_id",
  "scope_card_requires_one_card",
  "card_id_mismatch",
  "duplicate_card",
  "unknown_check_type",
  "required_check_missing",
  "invalid_path",
  "invalid_glob",
  "allowed_path_forbidden",
  "protected_path_without_approval",
  "invalid_branch_name",
  "unsafe_branch_name",
  "duplicate_branch",
  "invalid_repo_url",
  "branch_not_plain",
  "feature_branch_is_base",
  "feature_branch_protected",
  "required_checks_empty",
  "duplicate_required_check",
  "unsupported_policy_field",
  "workflow_requires_integration",
] as const;

/** One of {@link VIOLATION_CODES}. */
export type ViolationCode = (typeof VIOLATION_CODES)[number];

/** The reasons a gate can refuse, as data. */
export const GATE_REASON_CODES = [
  "card_ended",
  "no_head",
  "check_missing",
  "check_not_passed",
  "check_stale",
  "approval_missing",
  "approval_pending",
  "approval_rejected",
  "approval_stale",
  "approval_not_by_user",
  "approval_not_independent",
  "changes_not_evaluated",
  "changes_violate_path_rules",
  "head_branch_protected",
] as const;

/** One of {@link GATE_REASON_CODES}. */
export type GateReasonCode = (typeof GATE_REASON_CODES)[number];

/** Why a gate refused, one per unmet condition. */
export interface GateReason {
  /** Machine code of the unmet condition. */
  readonly code: GateReasonCode;
  /** What the condition was about: a check type, an approval type, a path. */
  readonly subject: string;
  /** Human sentence. */
  readonly message: string;
}

interface ErrorBase<K extends ErrorKind, D> {
  readonly kind: K;
  /** Machine code, finer than `kind`. */
  readonly code: string;
  /** A sentence a person can act on. */
  readonly message: string;
  /** Structured data about the failure. */
  readonly detail: D;
}

/** Input did not parse: the field issues say where. */
export type ValidationError = ErrorBase<"validation", { readonly issues: readonly FieldIssue[] }>;
/** The run input broke the policy: every violation is listed. */
export type PolicyViolationError = ErrorBase<
  "policy_violation",
  { readonly violations: readonly PolicyViolation[] }
>;
/** A lifecycle move that the transition table does not allow, or whose guard refused. */
export type InvalidTransitionError = ErrorBase<
  "invalid_transition",
  {
    readonly machine: "run" | "assignment";
    readonly state: string;
    readonly event: string;
    readonly allowed_events: readonly string[];
    readonly guard?: string;
    readonly reasons?: readonly GateReason[];
  }
>;
/** A gate said no; the reasons say why. */
export type GateClosedError = ErrorBase<
  "gate_closed",
  { readonly gate: "request_approval" | "create_pull_request"; readonly reasons: readonly GateReason[] }
>;
/** A record that was asked for does not exist. */
export type NotFoundError = ErrorBase<"not_found", { readonly entity: string; readonly id: string }>;
/** A write lost a race (stale version), repeated a one-time decision, or met an existing record. */
export type ConflictError = ErrorBase<
  "conflict",
  {
    readonly entity: string;
    readonly id: string;
    readonly expected_version?: number;
    readonly actual_version?: number;
    /** The run that holds what was asked for (a card's branch, say). */
    readonly run_id?: string;
    /** What to do about it, for a person. */
    readonly way_on?: string;
  }
>;
/** An adapter failed talking to the outside world. */
export type PortFailureError = ErrorBase<
  "port_failure",
  {
    readonly port: string;
    readonly adapter: string;
    readonly operation: string;
    readonly retryable: boolean;
    readonly cause?: string;
  }
>;
/** The caller aborted the operation. */
export type CancelledError = ErrorBase<
  "cancelled",
  {
    readonly operation: string;
    /** The last output of the process that was stopped (redacted), when there was one. */
    readonly output_tail?: string;
  }
>;
/** The operation ran out of time. */
export type TimeoutError = ErrorBase<
  "timeout",
  {
    readonly operation: string;
    readonly timeout_ms: number;
    /** The last output of the process that was stopped (redacted), when there was one. */
    readonly output_tail?: string;
  }
>;

/** The discriminated union every rungate `Result` fails with. Switch on `kind`. */
export type RungateError =
  | ValidationError
  | PolicyViolationError
  | InvalidTransitionError
  | GateClosedError
  | NotFoundError
  | ConflictError
  | PortFailureError
  | CancelledError
  | TimeoutError;

/** The error of a given kind. */
export type ErrorOfKind<K extends ErrorKind> = Extract<RungateError, { kind: K }>;

type Detail<K extends ErrorKind> = ErrorOfKind<K>["detail"];

/** Headline wording per kind; the detail-specific sentence is appended. */
const HEADLINES: { readonly [K in ErrorKind]: (detail: Detail<K>, code: string) => string } = {
  validation: (d) =>
    `Invalid input: ${d.issues
      .slice(0, 5)
      .map((i) => `${formatPath(i.path)}: ${i.message}`)
      .join("; ")}${d.issues.length > 5 ? ` (and ${d.issues.length - 5} more)` : ""}`,
  policy_violation: (d) =>
    `The run input breaks the system policy (${d.violations.length} violation${d.violations.length === 1 ? "" : "s"}): ${d.violations
      .slice(0, 5)
      .map((v) => v.message)
      .join("; ")}${d.violations.length > 5 ? ` (and ${d.violations.length - 5} more)` : ""}`,
  invalid_transition: (d) =>
    d.guard
      ? `The ${d.machine} cannot take "${d.event}" in state "${d.state}": guard "${d.guard}" refused${d.reasons?.length ? ` (${d.reasons.map((r) => r.message).join("; ")})` : ""}.`
      : `The ${d.machine} cannot take "${d.event}" in state "${d.state}"; allowed there: ${d.allowed_events.length ? d.allowed_events.join(", ") : "nothing (terminal state)"}.`,
  gate_closed: (d) =>
    `The ${d.gate === "request_approval" ? "approval" : "pull request"} gate is closed: ${d.reasons.map((r) => r.message).join("; ")}`,
  not_found: (d) => `No ${d.entity} with id ${d.id}.`,
  conflict: (d, code) =>
    code === "stale_version"
      ? `The ${d.entity} ${d.id} was changed by someone else (expected version ${d.expected_version}, found ${d.actual_version}); reload and retry.`
      : code === "already_decided"
        ? `The ${d.entity} ${d.id} was already decided; a decision is recorded once.`
        : code === "stale_approval"
          ? `The ${d.entity} ${d.id} was asked for a head its card's branch has moved past; a new one is asked once the checks pass on the new head.`
          : code === "not_awaiting_approval"
            ? `The ${d.entity} ${d.id} cannot be decided: ${d.way_on ?? "its card is not awaiting approval."}`
            : d.way_on !== undefined
              ? `The ${d.entity} ${d.id} is held${d.run_id === undefined ? "" : ` by run ${d.run_id}`} (${code}): ${d.way_on}`
              : `The ${d.entity} ${d.id} already exists or conflicts with a stored record (${code}).`,
  port_failure: (d) =>
    `${d.adapter} (${d.port}) failed during ${d.operation}${d.cause ? `: ${d.cause}` : ""}${d.retryable ? " (retryable)" : ""}.`,
  cancelled: (d) => `${d.operation} was cancelled.`,
  timeout: (d) => `${d.operation} timed out after ${d.timeout_ms} ms.`,
};

/** Renders a field path as `cards[0].allowed_paths[1]` (or `(input)` for the root). */
export function formatPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return "(input)";
  return path.reduce<string>(
    (acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    "",
  );
}

/**
 * The human sentence for an error of kind `kind` with `detail`. The single place where error wording lives.
 */
export function formatError<K extends ErrorKind>(kind: K, code: string, detail: Detail<K>): string {
  const headline = HEADLINES[kind] as (detail: Detail<K>, code: string) => string;
  return headline(detail, code);
}

/** Builds a {@link RungateError} of the given kind, with its message from {@link formatError}. */
export function rungateError<K extends ErrorKind>(kind: K, code: string, detail: Detail<K>): ErrorOfKind<K> {
  return { kind, code, detail, message: formatError(kind, code, detail) } as unknown as ErrorOfKind<K>;
}

/** True when `value` looks like a {@link RungateError} (useful at boundaries that received `unknown`). */
export function isRungateError(value: unknown): value is RungateError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    (ERROR_KINDS as readonly string[]).includes((value as { kind: string }).kind) &&
    typeof (value as { message?: unknown }).message === "string"
  );
}
