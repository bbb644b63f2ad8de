import type { DossierTable, ReportBuilder } from "./dossier-report.js";
import { convertSubstringRule, literalAllowedGlobs } from "./substring-rule.js";

/** Where a list of rules sits, for the report. */
export interface RuleSite {
  readonly table: DossierTable;
  readonly row_id: string;
  /** The field's name as the report shows it, e.g. `forbidden_paths` or `system_policy_snapshot.forbidden_paths`. */
  readonly field: string;
}

/**
 * Converts a list of reference substring rules into rungate globs (see `convertSubstringRule`), recording every
 * rule in the report's `rules` with what its meaning became. Duplicate globs are kept once, in order.
 */
export function convertSubstringRules(
  rules: readonly string[],
  site: RuleSite,
  report: ReportBuilder,
): string[] {
  const globs: string[] = [];
  rules.forEach((rule, index) => {
    const converted = convertSubstringRule(rule);
    report.rules.push({
      table: site.table,
      row_id: site.row_id,
      field: `${site.field}[${index}]`,
      from: rule,
      to: converted.globs,
      meaning: converted.meaning,
      reason: converted.reason,
    });
    for (const glob of converted.globs) if (!globs.includes(glob)) globs.push(glob);
  });
  return globs;
}

/**
 * Converts a card's reference allowed paths (plain file names) into rungate globs matching those names; every
 * entry whose glob is not its own text is reported in `changed`, and an entry with nothing left is dropped.
 */
export function convertAllowedPaths(
  paths: readonly string[],
  site: RuleSite,
  report: ReportBuilder,
): string[] {
  const globs: string[] = [];
  paths.forEach((path, index) => {
    const converted = literalAllowedGlobs(path);
    const field = `${site.field}[${index}]`;
    if (converted === null) {
      report.changed.push({
        table: site.table,
        row_id: site.row_id,
        field,
        from: path,
        to: null,
        reason: "an empty allowed path names no file; dropped",
      });
      return;
    }
    if (converted.length !== 1 || converted[0] !== path) {
      report.changed.push({
        table: site.table,
        row_id: site.row_id,
        field,
        from: path,
        to: converted,
        reason:
          "the reference compared allowed paths as plain names; rungate reads globs, so glob characters are escaped (and a leading `/` dropped) to match the same name",
      });
    }
    for (const glob of converted) if (!globs.includes(glob)) globs.push(glob);
  });
  return globs;
}
