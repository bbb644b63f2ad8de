/**
 * `rungate/github`: the GitHub REST pull-request host. This is the only entry that loads `@octokit/rest`,
 * `@octokit/plugin-retry` and `@octokit/plugin-throttling` (optional peer dependencies).
 *
 * @packageDocumentation
 */
export { createGitHubPullRequestHost, GITHUB_OPERATIONS } from "./github-adapter.js";
export type {
  FetchLike,
  GitHubPullRequestHostConfig,
  OctokitLike,
  OctokitRequestOptionsLike,
  OctokitResponseLike,
} from "./github-config.js";
