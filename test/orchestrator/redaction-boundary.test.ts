import { describe, expect, it } from "vitest";
import {
  createOrchestrator,
  createSecretRedactor,
  secretsFromEnvironment,
  verifyAssignmentSnapshot,
  verifyRunSnapshots,
} from "../../src/index.js";
import type { InMemoryPorts } from "../../src/testing/index.js";
import { CARD, cardRequest, setup } from "./helpers.js";

const GITHUB_TOKEN = `ghp_${"Z9y8X7w6".repeat(5)}`;
const HOST_SECRET = "host-only-secret-4f9a2c7e";
const AWS_KEY = "AKIAZ4EXAMPLE7Q2WXYZ";
const DB_PASSWORD = "pg-pa55w0rd-31415";
const PEM =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----";

/** Every record and event stored for a run, as one JSON text. */
async function dump(ports: InMemoryPorts, run_id: string): Promise<string> {
  const s = ports.storage;
  const assignments = (await s.listAssignments(run_id))._unsafeUnwrap();
  const parts = [
    (await s.getRun(run_id))._unsafeUnwrap(),
    assignments,
    (await s.listChecks(run_id))._unsafeUnwrap(),
    (await s.listApprovals(run_id))._unsafeUnwrap(),
    (await s.listPullRequests(run_id))._unsafeUnwrap(),
    (await s.listExecutions(run_id))._unsafeUnwrap(),
    (await s.listEvents(run_id))._unsafeUnwrap(),
    ...(await Promise.all(assignments.map(async (a) => (await s.listCommits(a.id))._unsafeUnwrap()))),
  ];
  return JSON.stringify(parts);
}

describe("one redaction boundary, proven on the stored records", () => {
  it("keeps secrets an agent committed, a check printed and a host typed out of every record and event", async () => {
    const { ports, orchestrator } = setup(
      {
        agent: {
          [CARD]: [
            {
              commits: [
                {
                  files: { "src/cart/total.ts": "export const total = 1;\n" },
                  message: `cart total (deploy with ${GITHUB_TOKEN}, ${HOST_SECRET}, ${AWS_KEY})`,
                },
              ],
              summary: `done; leaked ${HOST_SECRET} and ${GITHUB_TOKEN}`,
            },
          ],
        },
        checks: {
          unit: {
            status: "passed",
            output: `connected to postgres://app:${DB_PASSWORD}@db/app\n${PEM}\nok`,
            duration_ms: 3,
          },
        },
      },
      { secrets: [HOST_SECRET] },
    );
    const built = (
      await orchestrator.triggerBuild(
        cardRequest({
          cards: [
            {
              card_id: CARD,
              title: `Add a cart total (token ${GITHUB_TOKEN})`,
              description: `use ${HOST_SECRET} for the staging deploy`,
              allowed_paths: ["src/**", "test/**"],
            },
          ],
        }),
      )
    )._unsafeUnwrap();
    const stored = await dump(ports, built.run.id);
    for (const secret of [
      GITHUB_TOKEN,
      HOST_SECRET,
      AWS_KEY,
      DB_PASSWORD,
      "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
    ]) {
      expect(stored).not.toContain(secret);
    }
    expect(stored).toContain("[redacted]");
    // The snapshot was redacted before it was hashed: it reads back and verifies.
    const run = (await ports.storage.getRun(built.run.id))._unsafeUnwrap();
    expect(verifyRunSnapshots(run).isOk()).toBe(true);
    expect(JSON.stringify(run.run_input_snapshot)).toContain("[redacted]");
    // What the agent's commit said is still there, minus the secrets.
    expect(stored).toContain("cart total (deploy with [redacted]");
  });

  it("keeps the secrets adapters declare out of records and out of the errors it returns", async () => {
    const PORT_SECRET = "adapter-token-8d1c55aa";
    const { ports } = setup({
      checks: { unit: { status: "failed", output: `auth as ${PORT_SECRET} failed`, duration_ms: 1 } },
    });
    Object.assign(ports.checks, { secret_values: [PORT_SECRET] });
    // The orchestrator reads secret_values when it is made: make a new one over the same ports.
    const again = createOrchestrator(ports);
    const built = (await again.triggerBuild(cardRequest()))._unsafeUnwrap();
    expect(await dump(ports, built.run.id)).not.toContain(PORT_SECRET);
    const refused = await again.requestApproval({ assignment_id: built.assignments[0]?.id ?? "" });
    expect(JSON.stringify(refused._unsafeUnwrapErr())).not.toContain(PORT_SECRET);
  });

  it("takes a host's own environment as secrets (an agent outside a sandbox can read its parent's)", () => {
    const env = { STRIPE_SECRET_KEY: "rk_live_51Habc9", HOME: "/home/ana" };
    const redactor = createSecretRedactor({ secrets: secretsFromEnvironment(env) });
    expect(redactor.redactText("env: STRIPE=rk_live_51Habc9 HOME=/home/ana")).toBe(
      "env: STRIPE=[redacted] HOME=/home/ana",
    );
  });
});

describe("redaction options", () => {
  it("refuses a pattern that would redact the mark itself (redacting twice must change nothing)", () => {
    const { ports } = setup();
    expect(() => createOrchestrator(ports, { redact_patterns: [/dacted/] })).toThrow(
      /must not match the mark/,
    );
    expect(() => createOrchestrator(ports, { redact_patterns: [/acct-\d{6}/] })).not.toThrow();
  });
});

describe("snapshots and later redactors", () => {
  it("writes a run's snapshots as they were hashed, even when a later redactor knows a secret inside them", async () => {
    const LATE = "late-known-secret-91ab";
    const { ports, orchestrator } = setup();
    const request = cardRequest();
    const built = (
      await orchestrator.createRun({
        ...request,
        cards: request.cards.map((c) => ({ ...c, description: `mentions ${LATE}` })),
      })
    )._unsafeUnwrap();
    // Another process (a worker, a restarted host) that knows the secret drives the same run on.
    const later = createOrchestrator(ports, { secrets: [LATE] });
    const driven = (await later.resumeRun(built.run.id))._unsafeUnwrap();
    const run = (await ports.storage.getRun(driven.run.id))._unsafeUnwrap();
    expect(verifyRunSnapshots(run).isOk()).toBe(true);
    const [card] = (await ports.storage.listAssignments(run.id))._unsafeUnwrap();
    expect(card && verifyAssignmentSnapshot(card).isOk()).toBe(true);
    expect(card?.assignment_input_hash).toMatch(/^sha256:/);
    // Everything else it wrote is redacted with what it knows.
    const events = (await ports.storage.listEvents(run.id))._unsafeUnwrap();
    expect(events.length).toBeGreaterThan(2);
  });
});
