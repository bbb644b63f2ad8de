import { createGitHubPullRequestHost } from "../../../src/adapters/github/index.js";
import type { PullRequestHost } from "../../../src/ports/pull-request-host.js";
import type { LocalGitHub } from "./local-github-server.js";

/**
 * The GitHub host under test on a local server, with the token config (rungate's Octokit with retry and
 * throttling); `extra` overrides or adds options. The server plays github.com (its html_urls are on
 * github.com) behind a 127.0.0.1 API root, hence `webHost`.
 */
export function githubHostOn(
  server: LocalGitHub,
  token: string,
  extra: Record<string, unknown> = {},
): PullRequestHost {
  return createGitHubPullRequestHost({
    owner: server.owner,
    repo: server.repo,
    token,
    baseUrl: server.baseUrl,
    webHost: "github.com",
    ...extra,
  });
}
