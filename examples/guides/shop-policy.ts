// shop-policy.ts
import type { SystemPolicyProfileInput } from "rungate";

export const shopPolicy: SystemPolicyProfileInput = {
  id: "6a0f0c9e-0000-4000-8000-000000000001",
  project_id: "6a0f0c9e-0000-4000-8000-0000000000aa",
  required_checks: ["policy", "lint", "unit", "security"],
  forbidden_paths: ["**/.env*", "**/*.pem", "infra/**"],
  protected_paths: ["package.json", "migrations/**"],
  dependency_policy: { blocked_packages: ["left-pad", "lodash@<4.17.21"] },
  security_policy: { fail_on_severity: "moderate" },
  architecture_policy: { forbidden_imports: [{ from: "src/domain/**", to: "src/http/**" }] },
  approval_policy: { required_approvals: ["create_pr", "code_review"], require_independent_approval: true },
  agent_policy: { max_attempts: 2, max_cost_usd_per_card: 5 },
  updated_at: "2026-12-01T09:00:00.000Z",
};
