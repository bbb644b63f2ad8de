/**
 * The pure domain core of rungate: schemas, policy validation, path rules, snapshots, lifecycle machines
 * and gates. Nothing here performs I/O, reads a clock or makes ids; everything is a function of its inputs.
 * Internal helpers (`rows`, `selectRule`, `latestBy`, the guard tables) stay unexported on purpose.
 */

export {
  type CancelledError,
  type ConflictError,
  ERROR_KINDS,
  type ErrorKind,
  type ErrorOfKind,
  type FieldIssue,
  formatError,
  formatPath,
  GATE_REASON_CODES,
  type GateClosedError,
  type GateReason,
  type GateReasonCode,
  type InvalidTransitionError,
  isRungateError,
  type NotFoundError,
  type PolicyViolation,
  type PolicyViolationError,
  type PortFailureError,
  type RungateError,
  rungateError,
  type TimeoutError,
  type ValidationError,
  VIOLATION_CODES,
  type ViolationCode,
} from "./errors.js";
export {
  type ApprovalContent,
  type ApprovalContentFile,
  approvalContentDigest,
  carriedApprovals,
} from "./gates/approval-content.js";
export {
  type ApprovalGateSubject,
  approvalGateReasons,
  canRequestApproval,
  cardEndedReason,
} from "./gates/approval-gate.js";
export {
  type ApprovalPolicySubject,
  canCreatePullRequest,
  type PullRequestGateChanges,
  type PullRequestGateSubject,
  pullRequestGateReasons,
  requiredApprovalTypes,
} from "./gates/pull-request-gate.js";
export { parseInput, toFieldIssues } from "./parse.js";
export {
  type AgentLimits,
  type AgentSpend,
  type AttemptLimits,
  agentAttemptLimits,
  agentSpend,
  type BudgetExhausted,
  NO_AGENT_LIMITS,
  passedAttemptLimit,
  usageTokens,
} from "./policy/agent-budget.js";
export { buildAgentTask } from "./policy/agent-task.js";
export {
  type BlockedPackage,
  licenseAllowed,
  parseBlockedPackage,
  specMayBeBlocked,
  versionBlocked,
} from "./policy/blocked-packages.js";
export {
  type BranchNameIssue,
  checkBranchName,
  defaultFeatureBranch,
  type FeatureBranchProblem,
  featureBranchProblem,
  plainBranchProblem,
} from "./policy/branch-names.js";
export { DEPENDENCY_MANIFESTS, dependencyManifestPaths } from "./policy/dependency-manifests.js";
export { type ChangeEvaluation, evaluateChanges, type FileEvaluation } from "./policy/evaluate-changes.js";
export {
  type ExplainedApproval,
  type ExplainedRule,
  type ExplainedRuleSource,
  ExplainSubject,
  type ExplainSubjectInput,
  explainPolicy,
  type PathExplanation,
  type PolicyExplanation,
} from "./policy/explain-policy.js";
export {
  compileImportRules,
  describeImportFindings,
  type FileImports,
  IMPORT_FINDING_KINDS,
  type ImportFinding,
  type ImportFindingKind,
  type ImportRule,
  type ImportRules,
  type ImportStatement,
  judgeImports,
  type ResolvedSpecifier,
  resolveSpecifier,
} from "./policy/import-rules.js";
export {
  type LockedPackage,
  type LockedPackageChange,
  lockedPackages,
  lockFileChanges,
  NPM_LOCK_FILES,
} from "./policy/lock-file-changes.js";
export {
  describeLockFileChanges,
  judgeLockFileChanges,
  type LockFileFinding,
} from "./policy/lock-file-judgement.js";
export {
  type DependencyChange,
  type DependencyFinding,
  describeDependencyChanges,
  judgeDependencyChanges,
  PACKAGE_JSON_SECTIONS,
  packageJsonChanges,
} from "./policy/package-json-changes.js";
export { normaliseGlob, normaliseRepoPath, type PathIssue } from "./policy/path-normalise.js";
export {
  compilePathRules,
  compilePolicyPathRules,
  globBase,
  globCoveredBy,
  globsMayOverlap,
  NO_ALLOWED_MATCH,
  PATH_VERDICTS,
  type PathRules,
  PathVerdict,
  PathVerdictKind,
} from "./policy/path-rules.js";
export { repoUrlProblem } from "./policy/repo-url.js";
export {
  countAssertions,
  describeTestIntegrityFindings,
  judgeTestIntegrity,
  TEST_CONFIG_SECTIONS,
  TEST_INTEGRITY_FINDING_KINDS,
  type TestIntegrityFile,
  type TestIntegrityFinding,
  type TestIntegrityFindingKind,
  type TestIntegrityRules,
  testIntegrityOutcome,
} from "./policy/test-integrity.js";
export { resolveLink, treeSafetyVerdicts } from "./policy/tree-safety.js";
export {
  type PolicyWarning,
  type ValidatedCard,
  type ValidatedRunInput,
  validateRunInputAgainstPolicy,
} from "./policy/validate-run-input.js";
export {
  buildEvidence,
  compareEvidence,
  type EvidenceInput,
  type EvidenceMismatch,
  PullRequestEvidence,
  renderEvidenceBlock,
  splitEvidence,
} from "./pull-request/evidence.js";
export {
  PULL_REQUEST_BODY_DESCRIPTION_LIMIT,
  PULL_REQUEST_BODY_FILE_LIMIT,
  type PullRequestBodyInput,
  pullRequestTitle,
  renderPullRequestBody,
} from "./pull-request/pull-request-body.js";
export {
  createSecretRedactor,
  MIN_SECRET_VALUE_LENGTH,
  REDACTED_MARK,
  SECRET_DETECTORS,
  SECRET_NAME,
  type SecretRedactor,
  type SecretRedactorInput,
  secretsFromEnvironment,
} from "./redaction/secret-redactor.js";
export {
  type NewRunContext,
  newCardAssignment,
  newOrchestrationRun,
  verifyAssignmentSnapshot,
  verifyRunSnapshots,
} from "./run/new-run.js";
export * from "./schemas/index.js";
export {
  DEFAULT_TEST_CONFIG_GLOBS,
  DEFAULT_TEST_CONFIG_KEYS,
  DEFAULT_TEST_GLOBS,
  DEFAULT_TEST_SCRIPTS,
  TEST_INTEGRITY_ACTIONS,
  TestIntegrityAction,
  TestIntegrityPolicy,
} from "./schemas/test-integrity-policy.js";
export { type AddedLine, diffAddedLines } from "./security/diff-added-lines.js";
export {
  BUILT_IN_SECRET_RULES,
  describeSecretFindings,
  type SecretFinding,
  type SecretRule,
  scanAddedLines,
  secretRules,
} from "./security/secret-scan.js";
export {
  changedFrozenField,
  FROZEN_FIELDS,
  type FrozenTable,
  snapshotImmutable,
} from "./snapshot/frozen-fields.js";
export {
  canonicalJson,
  captureSnapshot,
  type DeepReadonly,
  deepFreeze,
  hashSnapshotValue,
  type Snapshot,
  sha256Hex,
  verifySnapshot,
} from "./snapshot/index.js";
export { nameUuid } from "./snapshot/name-uuid.js";
export {
  ASSIGNMENT_TRANSITIONS,
  type AssignmentEvent,
  type AssignmentEventType,
  type AssignmentTransition,
  allowedAssignmentEvents,
  TERMINAL_ASSIGNMENT_PHASES,
  type TransitionEffect,
  transitionAssignment,
} from "./state/assignment-machine.js";
export {
  allowedRunEvents,
  RUN_TRANSITIONS,
  type RunAssignmentView,
  type RunEventInput,
  type RunEventType,
  type RunTransition,
  TERMINAL_RUN_PHASES,
  transitionRun,
} from "./state/run-machine.js";
export { nextRunEvent, type RunProgressContext } from "./state/run-progress.js";
export {
  formatTransitionTable,
  type TransitionRule,
  type TransitionTable,
} from "./state/transition-table.js";
