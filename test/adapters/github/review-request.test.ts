import { afterEach, describe, expect, it, vi } from "vitest";
import type { PullRequestHost } from "../../../src/ports/pull-request-host.js";
import { githubHostOn } from "./host-on-local-github.js";
import { type LocalGitHub, startLocalGitHub } from "./local-github-server.js";

// Review requests and labels (issue 18.3) against the local server playing GitHub.

const TOKEN = "ghp_RungateReviewTokenNeverPrinted01234";
vi.setConfig({ testTimeout: 30_000 });

const live: LocalGitHub[] = [];
afterEach(async () => {
  for (const server of live.splice(0)) await server.close();
});

/** A host on a fresh server with one drafted PR; answers its url. */
async function drafted(): Promise<{ server: LocalGitHub; host: PullRequestHost; url: string }> {
  const server = await startLocalGitHub({
    token: TOKEN,
    branches: { main: "1".repeat(40), "rungate/card": "c".repeat(40) },
  });
  live.push(server);
  const host = githubHostOn(server, TOKEN);
  const pr = (
    await host.createDraftPullRequest({
      base_branch: "main",
      head_branch: "rungate/card",
      head_sha: "c".repeat(40),
      title: "A card",
      body: "Body.",
    })
  )._unsafeUnwrap();
  return { server, host, url: pr.url };
}

describe("GitHub review requests", () => {
  it("asks the reviewers and teams on the PR, then labels it; nothing else is sent", async () => {
    const { server, host, url } = await drafted();
    (
      await host.requestReview?.({
        url,
        reviewers: ["alice"],
        team_reviewers: ["platform"],
        labels: ["agent"],
      })
    )?._unsafeUnwrap();
    expect(server.reviewRequests).toEqual([
      { number: 1, reviewers: ["alice"], team_reviewers: ["platform"] },
    ]);
    expect(server.labels).toEqual([{ number: 1, labels: ["agent"] }]);
    expect(server.requests.map((r) => `${r.method} ${r.pathname}`)).toEqual([
      "POST /repos/acme/widgets/pulls",
      "POST /repos/acme/widgets/pulls/1/requested_reviewers",
      "POST /repos/acme/widgets/issues/1/labels",
    ]);
  });

  it("carries GitHub's own message when it refuses a reviewer, and refuses a PR url of another repository", async () => {
    const { host, url } = await drafted();
    const refused = await host.requestReview?.({
      url,
      reviewers: ["stranger"],
      team_reviewers: [],
      labels: [],
    });
    expect(refused?._unsafeUnwrapErr().message).toContain("only be requested from collaborators");
    const foreign = await host.requestReview?.({
      url: "https://github.com/other/repo/pull/1",
      reviewers: ["alice"],
      team_reviewers: [],
      labels: [],
    });
    expect(foreign?._unsafeUnwrapErr()).toMatchObject({
      kind: "validation",
      code: "foreign_pull_request_url",
    });
  });
});
