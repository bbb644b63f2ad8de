// app.ts: create a run and follow it; the workers do the work.
import { createOrchestrator } from "rungate";
import { openPorts } from "./ports.js";
import { shopPolicy } from "./shop-policy.js";

const { ports } = await openPorts();
const orchestrator = createOrchestrator(ports);

const card_id = "c0ffee00-0000-4000-8000-000000000001";
const created = await orchestrator.createRun({
  project_id: shopPolicy.project_id,
  scope: "card",
  card_id,
  trigger_type: "card",
  initiated_by: "user:ana",
  repo_url: "https://github.com/acme/shop.git",
  cards: [{ card_id, title: "Add a cart total", allowed_paths: ["src/cart/**", "test/**"] }],
  policy: shopPolicy,
  idempotency_key: `card:${card_id}:1`, // a retried request creates nothing twice
});
if (created.isErr()) throw new Error(created.error.message);

for await (const event of orchestrator.events({ run_id: created.value.run.id })) {
  if (event.event_type === "run.transitioned") console.log(`${event.payload.from} → ${event.payload.to}`);
  if (event.event_type === "approval.requested") break; // a person's turn
}
