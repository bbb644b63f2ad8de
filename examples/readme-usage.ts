import {
  canRequestApproval,
  evaluateChanges,
  newCardAssignment,
  newOrchestrationRun,
  validateRunInputAgainstPolicy,
} from "../src/index.js";
import { fixtureId, policyFixture, runInputFixture } from "../src/testing/index.js";

const validated = validateRunInputAgainstPolicy(runInputFixture(), policyFixture());
if (validated.isErr()) throw new Error(validated.error.message); // every violation, named
const { policy, cards } = validated.value;
const [card] = cards;
if (card === undefined) throw new Error("a card run has one card");

const now = new Date().toISOString();
const run = newOrchestrationRun(validated.value, { run_id: fixtureId(1), now })._unsafeUnwrap();
const assignment = newCardAssignment(run, card, { assignment_id: fixtureId(2), now })._unsafeUnwrap();

// What did the agent actually change?
const judged = evaluateChanges([{ path: "src/.env", status: "added" }], assignment, policy)._unsafeUnwrap();
console.log(
  judged.ok,
  judged.violations.map((v) => `${v.path}: ${v.verdict} by ${v.rule}`),
);

// May we ask a person yet? Not without passing checks on the current head.
const gate = canRequestApproval({ ...assignment, head_sha: "abc1234" }, [], policy);
console.log(gate.isErr() && gate.error.detail.reasons.map((r) => r.message));
