export { createRandomIds } from "./random-ids.js";
export { createSystemClock } from "./system-clock.js";
