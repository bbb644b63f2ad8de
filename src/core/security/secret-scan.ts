import type { AddedLine } from "./diff-added-lines.js";

/** A rule of the built-in secret scan: an id people can look up and the pattern it finds. */
export interface SecretRule {
  readonly id: string;
  readonly pattern: RegExp;
}

/**
 * The built-in rules: credentials whose shape is distinctive enough that a match is almost never anything
 * else. A policy adds its own (`security_policy.secret_patterns`).
 */
export const BUILT_IN_SECRET_RULES: readonly SecretRule[] = [
  { id: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/ },
  {
    id: "aws-secret-access-key",
    pattern: /aws.{0,20}secret.{0,20}['"=:\s][A-Za-z0-9/+]{40}\b/i,
  },
  { id: "private-key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----/ },
  { id: "github-token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/ },
  { id: "slack-token", pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  { id: "stripe-secret-key", pattern: /\b[sr]k_live_[A-Za-z0-9]{20,}\b/ },
  { id: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { id: "npm-token", pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { id: "openai-api-key", pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}\b/ },
  { id: "anthropic-api-key", pattern: /\bsk-ant-[A-Za-z0-9_-]{32,}\b/ },
];

/** Where a secret was found: file, line and the rule, never the secret itself. */
export interface SecretFinding {
  readonly path: string;
  readonly line: number;
  readonly rule: string;
}

/**
 * The rules a policy's own patterns make (`policy:<n>`, in the policy's order) after the built-in ones. A
 * pattern is a regular expression source; validation of the policy refuses one that does not compile.
 */
export function secretRules(policyPatterns: readonly string[]): SecretRule[] {
  return [
    ...BUILT_IN_SECRET_RULES,
    ...policyPatterns.map((source, i) => ({ id: `policy:${i}`, pattern: new RegExp(source) })),
  ];
}

// A very long line (minified code, a blob in a string) is scanned in overlapping windows, so a policy's own
// pattern never runs over megabytes at once; the overlap is longer than any secret the rules look for.
const WINDOW = 16_384;
const OVERLAP = 1_024;

/** `text` as the windows it is scanned in (itself when short). */
function windows(text: string): string[] {
  if (text.length <= WINDOW) return [text];
  const parts: string[] = [];
  for (let at = 0; at < text.length; at += WINDOW - OVERLAP) parts.push(text.slice(at, at + WINDOW));
  return parts;
}

/** Every rule that matches an added line of `path`, one finding per line and rule. */
export function scanAddedLines(
  path: string,
  added: readonly AddedLine[],
  rules: readonly SecretRule[],
): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const { line, text } of added) {
    const parts = windows(text);
    for (const rule of rules) {
      if (parts.some((part) => rule.pattern.test(part))) findings.push({ path, line, rule: rule.id });
    }
  }
  return findings;
}

/** One line per finding for a check's output: `path:line: secret (rule)`, no part of what matched. */
export function describeSecretFindings(findings: readonly SecretFinding[]): string {
  return findings.map((f) => `${f.path}:${f.line}: looks like a secret (${f.rule})`).join("\n");
}
