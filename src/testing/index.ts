/**
 * `rungate/testing`: what you need to unit-test your own policies in milliseconds. Fixtures today; the
 * in-memory ports and the adapter contract suites join them as they land.
 *
 * @packageDocumentation
 */
export { FIXTURE_TIME, fixtureId, policyFixture, runInputFixture } from "./fixtures.js";
