// The demo project's own test runner: imports every test/*.test.mjs and runs its `tests`.
import { readdirSync } from "node:fs";

let failed = 0;
for (const file of readdirSync("test").filter((f) => f.endsWith(".test.mjs"))) {
  const { tests } = await import(`./${file}`);
  for (const [name, test] of Object.entries(tests)) {
    const ok = test();
    if (!ok) failed++;
    console.log(`${ok ? "ok  " : "FAIL"} ${file} ${name}`);
  }
}
process.exit(failed ? 1 : 0);
