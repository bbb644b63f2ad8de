import { z } from "zod";

/** What an Octokit REST call resolves to, as far as this adapter reads it. */
export interface OctokitResponseLike {
  readonly status: number;
  readonly data: unknown;
}

/**
 * Per-call request options this adapter passes through: the abort signal (with the token form, rungate's own
 * Octokit also receives a private record of the call's retries, which your Octokit never sees).
 */
export interface OctokitRequestOptionsLike {
  readonly signal?: AbortSignal;
}

/**
 * The subset of an Octokit instance (`@octokit/rest` ≥ 20) that the GitHub pull-request host calls, declared
 * here so that a host app can pass its own Octokit (GitHub App installation auth, an enterprise `baseUrl`,
 * its own plugins) and so that rungate's public types never name `@octokit/*`. A real `new Octokit()` fits
 * structurally. Only these three endpoints are ever called: the adapter cannot merge, approve or mark ready.
 *
 * Failures are expected as thrown errors shaped like Octokit's `RequestError` (`status`, `message`,
 * `response.headers`, `response.data`); anything else is reported as a `port_failure` with status 0.
 */
export interface OctokitLike {
  readonly rest: {
    readonly pulls: {
      /** `POST /repos/{owner}/{repo}/pulls`; this adapter always sends `draft: true`. */
      create(params: {
        readonly owner: string;
        readonly repo: string;
        readonly title: string;
        readonly head: string;
        readonly base: string;
        readonly body: string;
        readonly draft: true;
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
      /** `GET /repos/{owner}/{repo}/pulls/{pull_number}`. */
      get(params: {
        readonly owner: string;
        readonly repo: string;
        readonly pull_number: number;
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
      /** `POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers`; optional on a custom Octokit. */
      requestReviewers?(params: {
        readonly owner: string;
        readonly repo: string;
        readonly pull_number: number;
        readonly reviewers: string[];
        readonly team_reviewers: string[];
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
      /** `GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open`. */
      list(params: {
        readonly owner: string;
        readonly repo: string;
        readonly head: string;
        readonly state: "open";
        readonly per_page?: number;
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
    };
    /** Present on a real Octokit; without it the host labels no PR. */
    readonly issues?: {
      /** `POST /repos/{owner}/{repo}/issues/{issue_number}/labels`. */
      addLabels?(params: {
        readonly owner: string;
        readonly repo: string;
        readonly issue_number: number;
        readonly labels: string[];
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
    };
    /** Present on a real Octokit; without it the host publishes no commit statuses. */
    readonly repos?: {
      /** `POST /repos/{owner}/{repo}/statuses/{sha}`. */
      createCommitStatus?(params: {
        readonly owner: string;
        readonly repo: string;
        readonly sha: string;
        readonly state: "pending" | "success" | "failure" | "error";
        readonly context: string;
        readonly description: string;
        readonly target_url?: string;
        readonly request?: OctokitRequestOptionsLike;
      }): Promise<OctokitResponseLike>;
    };
  };
}

/** A `fetch` implementation, injectable for tests or proxies. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const isFunction = (value: unknown): boolean => typeof value === "function";

const OctokitInstance = z.custom<OctokitLike>((value) => {
  const pulls = (value as { rest?: { pulls?: Record<string, unknown> } } | null)?.rest?.pulls;
  return (
    typeof pulls === "object" &&
    pulls !== null &&
    isFunction(pulls.create) &&
    isFunction(pulls.get) &&
    isFunction(pulls.list)
  );
}, "expected an Octokit instance with rest.pulls.create, rest.pulls.get and rest.pulls.list");

/** A GitHub owner (user or organisation) name: one path segment. */
const Owner = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "expected a GitHub user or organisation name");
/** A repository name. */
const Repo = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,100}$/, "expected a repository name")
  .refine((r) => r !== "." && r !== "..", "expected a repository name");

/** A host name with an optional port, as in a URL's `host`: `github.com`, `ghe.example.com:8443`. */
const WebHost = z
  .string()
  .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$/, "expected a host such as github.com");

const Shared = {
  owner: Owner,
  repo: Repo,
  /** The host's name in events and errors (default `"github"`). */
  name: z.string().min(1).optional(),
  /**
   * The host of the pull requests' `html_url`, the only host `getPullRequest` accepts. Default: derived from the
   * API root (`api.github.com` → `github.com`, `api.<x>` → `<x>`, `https://<host>/api/v3` → `<host>`); set it when
   * the API is reached through a proxy whose host is not GitHub's web host.
   */
  webHost: WebHost.optional(),
};

/** Config of {@link createGitHubPullRequestHost} with an Octokit the host app built (retries are its own). */
export const GitHubOctokitConfig = z.strictObject({
  ...Shared,
  octokit: OctokitInstance,
});

/** Config of {@link createGitHubPullRequestHost} with a token: rungate builds Octokit with retry and throttling. */
export const GitHubTokenConfig = z.strictObject({
  ...Shared,
  /** A classic token with `repo` scope, or a fine-grained token with Pull requests: write and Contents: read. */
  token: z.string().min(1),
  /** REST API root; default `https://api.github.com`; GitHub Enterprise Server: `https://<host>/api/v3`. */
  baseUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** User-Agent header (default `rungate`). */
  userAgent: z.string().min(1).optional(),
  /** How often a failed call is retried (5xx, 429, rate limits), 0–10, default 3. */
  retries: z.int().min(0).max(10).default(3),
  /**
   * The longest rate-limit wait (Retry-After, or until the limit resets) the adapter sits out before giving up
   * with a retryable `port_failure`, in seconds; 0–3600, default 60.
   */
  maxRetryAfterSeconds: z.int().min(0).max(3600).default(60),
  /** The `fetch` Octokit uses (default: the global one). */
  fetch: z.custom<FetchLike>(isFunction, "expected a fetch function").optional(),
});

/** Parsed {@link GitHubTokenConfig}, defaults filled in. */
export type ParsedGitHubTokenConfig = z.output<typeof GitHubTokenConfig>;

/** Options of {@link createGitHubPullRequestHost}: either your own `octokit`, or a `token`. */
export const GitHubPullRequestHostConfig = z.union([GitHubOctokitConfig, GitHubTokenConfig]);

/** Options of {@link createGitHubPullRequestHost}, as you write them. */
export type GitHubPullRequestHostConfig = z.input<typeof GitHubPullRequestHostConfig>;

/** How to call {@link createGitHubPullRequestHost}; shown when the options do not parse. */
export const GITHUB_CONFIG_USAGE = `createGitHubPullRequestHost({ owner: "acme", repo: "widgets", token: process.env.GITHUB_TOKEN })
  or createGitHubPullRequestHost({ owner: "acme", repo: "widgets", octokit: yourOctokit })
  both: name?, webHost? (the host of the pull requests' html_url; default derived from the API root)
  token options: baseUrl?, userAgent?, retries? (0-10, default 3), maxRetryAfterSeconds? (default 60), fetch?`;
