/**
 * rungate: policy gates for AI coding agents that change real repositories.
 *
 * This entry holds the pure core (schemas, policy validation, path rules, snapshots, lifecycle machines,
 * gates). `rungate/testing` holds fixtures for unit-testing policies; adapters arrive on their own subpaths.
 *
 * @packageDocumentation
 */
export * from "./core/index.js";
