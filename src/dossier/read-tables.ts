import { err, ok, type Result } from "neverthrow";
import { type FieldIssue, rungateError, type ValidationError } from "../core/errors.js";
import { DOSSIER_TABLES, type DossierTable, type IgnoredTable } from "./dossier-report.js";

/** The rows of each reference table found in an export (`[]` for a table it does not hold). */
export type DossierTables = { readonly [T in DossierTable]: readonly unknown[] };

/** An export's reference tables, and its other entries (reported, not read). */
export interface ReadTables {
  readonly tables: DossierTables;
  readonly ignored: readonly IgnoredTable[];
}

const KNOWN: readonly string[] = DOSSIER_TABLES;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function invalid(code: string, issues: FieldIssue[]): ValidationError {
  return rungateError("validation", code, { issues });
}

/**
 * Reads an export: an object whose keys are table names and whose values are arrays of rows (the reference's
 * column names). A `validation` error when it is not such an object (`not_an_export`), when a reference table
 * is not an array (`table_not_a_list`), or when it names none of the reference's tables (`no_reference_tables`).
 * Other keys (the reference's planning tables, say) are listed as ignored.
 */
export function readTables(input: unknown): Result<ReadTables, ValidationError> {
  if (!isPlainObject(input)) {
    return err(
      invalid("not_an_export", [
        {
          path: [],
          code: "not_an_export",
          message:
            "an export is an object of tables, each an array of rows (e.g. { orchestration_run: [...] })",
        },
      ]),
    );
  }
  const notLists: FieldIssue[] = DOSSIER_TABLES.filter(
    (table) => input[table] !== undefined && !Array.isArray(input[table]),
  ).map((table) => ({ path: [table], code: "table_not_a_list", message: "a table is an array of rows" }));
  if (notLists.length > 0) return err(invalid("table_not_a_list", notLists));
  if (!DOSSIER_TABLES.some((table) => input[table] !== undefined)) {
    return err(
      invalid("no_reference_tables", [
        {
          path: [],
          code: "no_reference_tables",
          message: `the export holds none of the reference's tables (${DOSSIER_TABLES.join(", ")})`,
        },
      ]),
    );
  }
  const rows = (table: DossierTable): readonly unknown[] => {
    const value = input[table];
    return Array.isArray(value) ? value : [];
  };
  const tables = Object.fromEntries(DOSSIER_TABLES.map((table) => [table, rows(table)])) as DossierTables;
  const ignored = Object.keys(input)
    .filter((key) => !KNOWN.includes(key))
    .map(
      (key): IgnoredTable => ({
        table: key,
        rows: Array.isArray(input[key]) ? input[key].length : null,
        reason:
          "not an orchestration table of the reference: rungate keeps no planning, project or memory data",
      }),
    );
  return ok({ tables, ignored });
}

/** True when `row` is a plain object (a row of an export). */
export function isRow(row: unknown): row is Record<string, unknown> {
  return isPlainObject(row);
}
