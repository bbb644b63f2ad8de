import { z } from "zod";
import { parseBlockedPackage } from "../policy/blocked-packages.js";
import { ApprovalType } from "./approval-type.js";
import { RunCheckType } from "./check-type.js";
import { IsoDateTime, Uuid } from "./primitives.js";
import { TestIntegrityPolicy } from "./test-integrity-policy.js";

/**
 * What a run may do to dependencies. Unknown keys are kept (`looseObject`) so a host's own settings survive
 * a round trip.
 */
export const DependencyPolicy = z
  .looseObject({
    /**
     * May an agent add new dependencies at all? `false` fails the `dependency` check for any package a card's
     * `package.json` gains (rungate reads the manifests itself; other ecosystems are not read yet).
     */
    allow_new_dependencies: z.boolean().default(true),
    /**
     * Packages an agent may never add or change: `name` blocks every version, `name@range` the versions in a
     * semver range (`lodash@<4.17.21`, `@scope/pkg@^1`). Judged on `package.json` specs (a spec that may
     * overlap the range) and on what npm lock files install, transitive packages included: the `dependency`
     * check fails.
     */
    blocked_packages: z
      .array(
        z
          .string()
          .min(1)
          .refine((entry) => parseBlockedPackage(entry) !== null, {
            message: "must be a package name, or name@range with a semver range",
          }),
      )
      .default([]),
    /**
     * Licenses (SPDX ids) the packages an npm lock file installs may carry; `null` (default) checks none. With
     * a list, a package added or changed whose license is not in it, or whose license the lock file does not
     * record, fails the `dependency` check.
     */
    allowed_licenses: z.array(z.string().min(1)).nullable().default(null),
    /** Does a change to a manifest or lock file need a `dependency_change` approval? */
    require_approval_for_changes: z.boolean().default(false),
  })
  .default({
    allow_new_dependencies: true,
    blocked_packages: [],
    allowed_licenses: null,
    require_approval_for_changes: false,
  });
/** Parsed {@link DependencyPolicy}. */
export type DependencyPolicy = z.infer<typeof DependencyPolicy>;

function compiles(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Security thresholds the `security` and `dependency` checks enforce. Extra keys are kept. */
export const SecurityPolicy = z
  .looseObject({
    /**
     * Lowest advisory severity that fails the `security` check: handed to the check runner with every check
     * (`rungate/checks` sets `RUNGATE_FAIL_ON_SEVERITY` and `npm_config_audit_level`, which `npm audit` reads).
     */
    fail_on_severity: z.enum(["low", "moderate", "high", "critical"]).default("high"),
    /**
     * Fail the `security` check when a line the card adds looks like a secret (rungate's built-in scan of the
     * diff, before any `security` command of the check runner). Findings name file, line and rule, never the
     * secret.
     */
    block_secrets: z.boolean().default(true),
    /**
     * More secret shapes for that scan, as regular expression sources (e.g. `"ACME-[0-9a-f]{32}"`), tried on
     * each added line. A source that does not compile is refused when the policy is parsed.
     */
    secret_patterns: z
      .array(
        z
          .string()
          .min(1)
          .max(1_000)
          .refine(compiles, { message: "must be a regular expression JavaScript can compile" }),
      )
      .default([]),
  })
  .default({ fail_on_severity: "high", block_secrets: true, secret_patterns: [] });
/** Parsed {@link SecurityPolicy}. */
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;

/** Architecture rules a `policy` check may enforce (layers that must not import each other). Extra keys are kept. */
export const ArchitecturePolicy = z
  .looseObject({
    /**
     * Each rule: a changed file under `from` must not import anything under `to` (globs, matched
     * case-insensitively; a bare specifier such as `node:fs` or `zod` is matched as written). Enforced by the
     * `policy` check on the imports of the card's changed files, read with a lexer (static, type-only,
     * re-exports, literal dynamic imports; a computed or unreadable import fails too). See docs/path-rules.md.
     */
    forbidden_imports: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) })).default([]),
    /** Free text shown to agents in their task. */
    notes: z.string().nullable().default(null),
  })
  .default({ forbidden_imports: [], notes: null });
/** Parsed {@link ArchitecturePolicy}. */
export type ArchitecturePolicy = z.infer<typeof ArchitecturePolicy>;

/** Which approvals a person must grant, and for what. Extra keys are kept. */
export const ApprovalPolicy = z
  .looseObject({
    /** Approvals needed before a draft PR candidate is created; `create_pr` is always implied, `merge_pr` ignored. */
    required_approvals: z.array(ApprovalType).default(["create_pr"]),
    /** The approval a change to a protected path needs, on top of the required ones. */
    /**
     * `merge_pr` is refused here: merging is the person's own act on the PR host, so it could never guard the
     * creation of a PR.
     */
    protected_path_approval: ApprovalType.exclude(["merge_pr"]).default("protected_path_change"),
    /**
     * The person who started the run may approve, but not alone: with this on, a card's approvals must include
     * one decided by somebody else (four eyes). Default off.
     */
    require_independent_approval: z.boolean().default(false),
    /**
     * Who is asked to review the drafted PR on the host (when the host can ask): the people who approved it in
     * rungate (`request_approvers`, default on; their user ids are taken as host logins) and these teams.
     */
    pr_reviewers: z
      .object({
        request_approvers: z.boolean().default(true),
        teams: z.array(z.string().min(1).max(100)).max(20).default([]),
      })
      .default({ request_approvers: true, teams: [] }),
    /** Labels the drafted PR gets on the host (when the host can label). */
    pr_labels: z.array(z.string().min(1).max(50)).max(20).default([]),
  })
  .default({
    required_approvals: ["create_pr"],
    protected_path_approval: "protected_path_change",
    require_independent_approval: false,
    pr_reviewers: { request_approvers: true, teams: [] },
    pr_labels: [],
  });
/** Parsed {@link ApprovalPolicy}. */
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

/**
 * Bounds on the agents of a run's cards, enforced by the orchestrator across attempts: each attempt is handed
 * what is left of the card's and the run's budgets (see `agentAttemptLimits`), a card whose budget is spent
 * gets no further attempt (`budget_exhausted`), and an attempt that reports spending past its share is
 * stopped. Extra keys are kept.
 */
export const AgentPolicy = z
  .looseObject({
    /**
     * Agent attempts a card may use in all: interrupted attempts (a host shutdown, a crash) and new attempts a
     * person asks for count alike. When an interruption finds them used up, the card fails
     * (`attempts_exhausted`). Default 3.
     */
    max_attempts: z.number().int().min(1).max(50).default(3),
    /** Model turns one attempt may take (`null`: the agent's own default). */
    max_turns_per_attempt: z.number().int().min(1).max(10_000).nullable().default(null),
    /** Wall time of one attempt, in milliseconds (`null`: the dispatcher's own timeout). */
    max_wall_time_ms_per_attempt: z.number().int().min(1_000).nullable().default(null),
    /** How long an agent may report nothing before it is stopped as hung (`null`: the dispatcher's default). */
    inactivity_timeout_ms: z.number().int().min(1_000).nullable().default(null),
    /** US dollars all attempts of one card may spend together (agents that report a cost). */
    max_cost_usd_per_card: z.number().positive().nullable().default(null),
    /** US dollars all attempts of all cards of one run may spend together. */
    max_cost_usd_per_run: z.number().positive().nullable().default(null),
    /** Input plus output tokens all attempts of one card may use together (the budget of agents with no cost). */
    max_tokens_per_card: z.number().int().positive().nullable().default(null),
    /** Input plus output tokens all attempts of all cards of one run may use together. */
    max_tokens_per_run: z.number().int().positive().nullable().default(null),
    /** Whether agents may reach the network beyond their model's API (a sandbox that can refuses it). */
    network: z.boolean().default(false),
    /** The model agents are asked to use (`null`: each agent's default). */
    model: z.string().min(1).max(200).nullable().default(null),
  })
  .default({
    max_attempts: 3,
    max_turns_per_attempt: null,
    max_wall_time_ms_per_attempt: null,
    inactivity_timeout_ms: null,
    max_cost_usd_per_card: null,
    max_cost_usd_per_run: null,
    max_tokens_per_card: null,
    max_tokens_per_run: null,
    network: false,
    model: null,
  });
/** Parsed {@link AgentPolicy}. */
export type AgentPolicy = z.infer<typeof AgentPolicy>;

/** The most globs one list of a policy or a card may hold (refused above it, with the list named). */
export const MAX_GLOBS_PER_LIST = 5_000;

/** The branches a policy protects when it names none: {@link SystemPolicyProfile} `protected_branches`. */
export const DEFAULT_PROTECTED_BRANCHES = ["main", "master", "release/*", "production"] as const;

/**
 * A project's rules for every run: the checks that must pass, the paths no agent may write (`forbidden_paths`)
 * or may write only with an approval (`protected_paths`), and the four policy sections. Paths are globs
 * (picomatch, POSIX, relative to the repository root).
 */
export const SystemPolicyProfile = z.object({
  id: Uuid,
  project_id: Uuid,
  required_checks: z.array(RunCheckType),
  /** At most {@link MAX_GLOBS_PER_LIST} globs: a policy is host input, and its size must not stall a worker. */
  protected_paths: z.array(z.string().max(1_000)).max(MAX_GLOBS_PER_LIST).default([]),
  /** At most {@link MAX_GLOBS_PER_LIST} globs. */
  forbidden_paths: z.array(z.string().max(1_000)).max(MAX_GLOBS_PER_LIST).default([]),
  /**
   * Branches no card may use as its feature branch, as globs compared case-insensitively (a card's branch is
   * what rungate pushes; these are the ones only a person's merge may move). The base branch of a run is
   * always protected too. Default `main`, `master`, `release/*`, `production`.
   */
  protected_branches: z.array(z.string().min(1)).default([...DEFAULT_PROTECTED_BRANCHES]),
  dependency_policy: DependencyPolicy,
  security_policy: SecurityPolicy,
  architecture_policy: ArchitecturePolicy,
  approval_policy: ApprovalPolicy,
  agent_policy: AgentPolicy,
  /** Tests a change may not weaken silently: see {@link TestIntegrityPolicy}. */
  test_integrity: TestIntegrityPolicy,
  updated_at: IsoDateTime,
});
/** Parsed {@link SystemPolicyProfile}. */
export type SystemPolicyProfile = z.infer<typeof SystemPolicyProfile>;
/** What a host may pass in (defaults not yet applied). */
export type SystemPolicyProfileInput = z.input<typeof SystemPolicyProfile>;
