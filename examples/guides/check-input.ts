// check-input.ts
import { validateRunInputAgainstPolicy } from "rungate";
import { runInputFixture } from "rungate/testing";
import { shopPolicy } from "./shop-policy.js";

const checked = validateRunInputAgainstPolicy(
  runInputFixture({
    project_id: shopPolicy.project_id,
    cards: [
      {
        card_id: "00000000-0000-4000-8000-000000000064",
        title: "Rotate the keys",
        allowed_paths: ["infra/**", "src/**"],
        feature_branch: "main",
      },
    ],
  }),
  shopPolicy,
);
if (checked.isErr() && checked.error.kind === "policy_violation") {
  for (const v of checked.error.detail.violations) console.log(v.code, v.path.join("."), v.rule);
  // allowed_path_forbidden cards.0.allowed_paths.0 infra/**
  // feature_branch_is_base cards.0.feature_branch main
}
