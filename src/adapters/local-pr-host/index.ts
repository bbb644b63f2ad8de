/**
 * `rungate/local`: the local pull-request host. Pull requests as JSON records in a folder, for offline use
 * and demos. No network, no optional peer dependency.
 *
 * @module rungate/local
 */
export { createLocalPullRequestHost, LOCAL_PR_HOST_NAME } from "./local-pr-host-adapter.js";
export { LocalPullRequestHostConfig } from "./local-pr-host-config.js";
export { LocalPullRequestRecord } from "./local-pr-record.js";
export { recordLocalMerge } from "./record-local-merge.js";
