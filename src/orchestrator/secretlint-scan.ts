import { ResultAsync } from "neverthrow";
import { type RungateError, rungateError } from "../core/errors.js";
import type { AddedLine } from "../core/security/diff-added-lines.js";
import type { SecretFinding } from "../core/security/secret-scan.js";

type Secretlint = {
  readonly lintSource: typeof import("@secretlint/core").lintSource;
  readonly preset: typeof import("@secretlint/secretlint-rule-preset-recommend").creator;
};

let loading: Promise<Secretlint> | null = null;

/** secretlint is ESM-only: loaded on first use, once, so that rungate's CommonJS build can still be required. */
function loadSecretlint(): Promise<Secretlint> {
  loading ??= Promise.all([
    import("@secretlint/core"),
    import("@secretlint/secretlint-rule-preset-recommend"),
  ]).then(([core, recommend]) => ({ lintSource: core.lintSource, preset: recommend.creator }));
  return loading;
}

/**
 * secretlint's recommended preset (AWS, GCP, GitHub, Slack, npm, private keys, basic auth in URLs, …: a
 * well-kept set of shapes with fewer false alarms than a regex list) run on the lines one file's diff adds,
 * put together as one text; each finding is mapped back to its line in the new file. Only the rule id and the
 * line are kept, never secretlint's message, which quotes the match.
 */
export function secretlintAddedLines(
  path: string,
  added: readonly AddedLine[],
): ResultAsync<SecretFinding[], RungateError> {
  if (added.length === 0) return ResultAsync.fromSafePromise(Promise.resolve([]));
  const name = path.split("/").at(-1) ?? path;
  const dot = name.lastIndexOf(".");
  return ResultAsync.fromPromise(
    loadSecretlint().then(({ lintSource, preset }) =>
      lintSource({
        source: {
          filePath: `/rungate-diff/${path}`,
          content: added.map((l) => l.text).join("\n"),
          ext: dot > 0 ? name.slice(dot) : "",
          contentType: "text",
        },
        options: {
          config: {
            rules: [
              {
                id: "@secretlint/secretlint-rule-preset-recommend",
                rule: preset,
                // The author of the text is the adversary: a `secretlint-disable` comment it wrote hides nothing.
                rules: [{ id: "@secretlint/secretlint-rule-filter-comments", disabled: true }],
              },
            ],
          },
          maskSecrets: true,
        },
      }),
    ),
    (cause) =>
      rungateError("port_failure", "secret_scan_failed", {
        port: "secret scan",
        adapter: "secretlint",
        operation: "scanning the added lines",
        retryable: false,
        cause: cause instanceof Error ? cause.message : String(cause),
      }),
  ).map((result) =>
    result.messages.flatMap((m) => {
      const line = added[(m.loc?.start.line ?? 0) - 1]?.line;
      return line === undefined
        ? []
        : [{ path, line, rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, "secretlint:") }];
    }),
  );
}
