/**
 * `rungate/dossier`: import the history of the reference system ("dossier") into rungate. Its tables,
 * exported as JSON (`sqlite3 -json`, see docs/dossier.md), become rungate records with a report of every row
 * or field that did not carry over as it was; its substring path rules become globs.
 *
 * @module rungate/dossier
 */
export { convertDossier, type DossierImport, type DossierRecords } from "./convert-dossier.js";
export {
  type ChangedField,
  DOSSIER_RECORD_KINDS,
  DOSSIER_TABLES,
  type DossierCounts,
  type DossierRecordKind,
  type DossierReport,
  type DossierTable,
  type DroppedField,
  type IgnoredTable,
  RULE_MEANINGS,
  type RuleConversion,
  type RuleMeaning,
  type SkippedRow,
} from "./dossier-report.js";
export {
  type AlreadyPresent,
  type DossierImportOutcome,
  importDossier,
  type StoredCounts,
  type StoredRecordKind,
} from "./import-dossier.js";
export {
  ASSIGNMENT_STATUS_PHASE,
  EXECUTION_STATUS,
  RUN_STATUS_PHASE,
  type StatusMapping,
} from "./legacy-status.js";
export {
  ReferenceApprovalRow,
  ReferenceAssignmentRow,
  ReferenceCheckRow,
  ReferenceCommitRow,
  ReferenceEventRow,
  ReferenceExecutionRow,
  ReferencePolicyRow,
  ReferencePolicySnapshot,
  ReferencePullRequestRow,
  ReferenceRunRow,
} from "./reference-rows.js";
export { normaliseReferenceTime } from "./sqlite-time.js";
export { convertSubstringRule, escapeGlobLiteral, type SubstringConversion } from "./substring-rule.js";
