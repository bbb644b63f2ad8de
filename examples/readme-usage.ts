import { createOrchestrator } from "rungate";
import { createInMemoryPorts, fixtureId, mergeAsPerson, policyFixture } from "rungate/testing";

const ports = createInMemoryPorts(); // or real adapters: rungate/git, rungate/checks, rungate/dispatch, ...
const orchestrator = createOrchestrator(ports);
const card_id = fixtureId(100);

const built = await orchestrator.triggerBuild({
  ...{ project_id: fixtureId(1), scope: "card", card_id, trigger_type: "card", initiated_by: "user:ana" },
  repo_url: "https://example.invalid/acme/shop.git",
  cards: [{ card_id, title: "Add a cart total", allowed_paths: ["src/**", "test/**"] }],
  policy: policyFixture(), // your project's SystemPolicyProfile
});
if (built.isErr()) throw new Error(built.error.message); // every violation or failure, named
const { run, assignments, checks, approvals } = built.value;
console.log(
  run.phase,
  checks.map((c) => `${c.check_type}:${c.status}`),
); // awaiting_approval, all passed

// Only a person approves, for exactly the head the checks saw; only then is a *draft* PR created.
const [approval] = approvals;
await orchestrator.recordApprovalDecision({
  run_id: run.id,
  approval_id: approval?.id ?? "",
  decision: "approve",
  decided_by: "ana",
});
const pr = (
  await orchestrator.createPullRequestCandidate({ assignment_id: assignments[0]?.id ?? "" })
)._unsafeUnwrap();
mergeAsPerson(ports.pullRequests, pr.pr_url ?? "", "ana"); // a person merges on the PR host; rungate can't
console.log(
  (await orchestrator.observePullRequest({ assignment_id: assignments[0]?.id ?? "" }))._unsafeUnwrap().status,
);
