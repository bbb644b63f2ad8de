/**
 * `rungate/github`: the GitHub REST pull-request host. This is the only entry that loads `@octokit/rest`,
 * `@octokit/plugin-retry` and `@octokit/plugin-throttling` (optional peer dependencies).
 *
 * @module rungate/github
 */
export {
  describeBranchProtection,
  githubBranchProtection,
  requiredStatusContexts,
} from "./branch-protection.js";
export {
  createGitHubPullRequestHost,
  GITHUB_OPERATIONS,
  GITHUB_PULL_REQUEST_LIMITS,
  GITHUB_STATUS_DESCRIPTION_LIMIT,
} from "./github-adapter.js";
export type {
  FetchLike,
  GitHubPullRequestHostConfig,
  OctokitLike,
  OctokitRequestOptionsLike,
  OctokitResponseLike,
} from "./github-config.js";
