import { errAsync, okAsync, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { Clock } from "../../ports/clock.js";
import type { PortCallOptions, PortError } from "../../ports/port-error.js";
import type {
  DraftPullRequestInput,
  HostedPullRequest,
  PullRequestHost,
} from "../../ports/pull-request-host.js";
import { LOCAL_PR_HOST_USAGE, LocalPullRequestHostConfig } from "./local-pr-host-config.js";
import { LocalPullRequestRecord, toHostedPullRequest } from "./local-pr-record.js";
import {
  createRecord,
  listRecords,
  numberOfUrl,
  type RecordStore,
  readRecord,
  recordStore,
  recordUrl,
  serialised,
} from "./local-pr-store.js";
import { cancelled, type LocalCallContext, pullRequestNotFound } from "./map-local-pr-host-errors.js";

/** The default name of the local host. */
export const LOCAL_PR_HOST_NAME = "local-pr-host";

/** How many taken numbers a create skips (other writers) before it gives up. */
const MAX_NUMBER_ATTEMPTS = 50;

const systemClock: Clock = { now: () => new Date().toISOString() };

const DraftInput = z.object({
  base_branch: z.string().min(1),
  head_branch: z.string().min(1),
  head_sha: LocalPullRequestRecord.shape.head_sha,
  title: z.string().min(1),
  body: z.string(),
});

/** Parses the options of the local host or throws a `TypeError` that shows the correct usage. */
export function parseLocalConfig(
  config: z.input<typeof LocalPullRequestHostConfig>,
  caller: string,
): { readonly store: RecordStore; readonly name: string; readonly clock: Clock } {
  const parsed = LocalPullRequestHostConfig.safeParse(config);
  if (!parsed.success) {
    throw new TypeError(`${caller}: ${z.prettifyError(parsed.error)}\nUsage: ${LOCAL_PR_HOST_USAGE}`);
  }
  return {
    store: recordStore(parsed.data.dir),
    name: parsed.data.name ?? LOCAL_PR_HOST_NAME,
    clock: parsed.data.clock ?? systemClock,
  };
}

const OPEN: readonly HostedPullRequest["status"][] = ["draft_open", "open"];

/**
 * A {@link PullRequestHost} that keeps pull requests as JSON records on disk, for offline use and demos: no
 * server, no network. Each draft is `<dir>/<n>.json` (n = 1, 2, 3…) holding `{ number, url, base_branch,
 * head_branch, head_sha, title, body, status: "draft_open", decided_by: null, decided_at: null, created_at }`;
 * its url is `file://<dir>/<n>.json`. Records are written atomically (temp file, then a no-clobber hard link
 * or a rename), so a reader never sees half a record.
 *
 * - `createDraftPullRequest` returns the record of an open (draft or ready) PR of the same head branch as it
 *   is; otherwise it writes a new `draft_open` record. Creates on one folder are serialised in this process.
 * - `getPullRequest(url)` reads the record back; a url outside `dir`, or a missing file, is `not_found`; a
 *   file that is not valid JSON or not a valid record is a `port_failure` (`local_pr_record_invalid`), never
 *   repaired silently.
 * - Like every host, it cannot merge, approve or mark ready. A person merges with git and edits the record's
 *   `status`/`decided_by`, or runs {@link recordLocalMerge}, which is deliberately not on this object.
 *
 * @param config `{ dir, name?, clock? }`.
 * @throws TypeError at construction when the options do not parse, with the correct usage.
 *
 * @example
 * const host = createLocalPullRequestHost({ dir: ".rungate/pull-requests" });
 */
export function createLocalPullRequestHost(
  config: z.input<typeof LocalPullRequestHostConfig>,
): PullRequestHost {
  const { store, name, clock } = parseLocalConfig(config, "createLocalPullRequestHost");

  function createDraft(
    draft: z.output<typeof DraftInput>,
    ctx: LocalCallContext,
    options: PortCallOptions,
  ): ResultAsync<HostedPullRequest, PortError> {
    return listRecords(store, ctx).andThen((records) => {
      const existing = records.find((r) => r.head_branch === draft.head_branch && OPEN.includes(r.status));
      if (existing) return okAsync(toHostedPullRequest(existing));
      if (options.signal?.aborted) return errAsync(cancelled(ctx.operation));
      const first = records.reduce((max, r) => Math.max(max, r.number), 0) + 1;
      const created_at = clock.now();
      const attempt = (number: number): ResultAsync<HostedPullRequest, PortError> => {
        const record: LocalPullRequestRecord = {
          number,
          url: recordUrl(store, number),
          base_branch: draft.base_branch,
          head_branch: draft.head_branch,
          head_sha: draft.head_sha,
          title: draft.title,
          body: draft.body,
          status: "draft_open",
          decided_by: null,
          decided_at: null,
          created_at,
        };
        return createRecord(store, record, ctx).andThen((written) => {
          if (written) return okAsync(toHostedPullRequest(record));
          if (number - first + 1 >= MAX_NUMBER_ATTEMPTS) {
            return errAsync(
              rungateError("conflict", "local_pr_numbers_taken", {
                entity: "local pull request",
                id: String(number),
              }),
            );
          }
          return attempt(number + 1);
        });
      };
      return attempt(first);
    });
  }

  const host: PullRequestHost = {
    name,
    createDraftPullRequest(input: DraftPullRequestInput, options: PortCallOptions = {}) {
      const ctx: LocalCallContext = { adapter: name, operation: "createDraftPullRequest" };
      if (options.signal?.aborted) return errAsync(cancelled(ctx.operation));
      const parsed = DraftInput.safeParse(input);
      if (!parsed.success) {
        return errAsync(
          rungateError("validation", "invalid_draft_pull_request", {
            issues: parsed.error.issues.map((i) => ({
              path: i.path.map((p) => (typeof p === "number" ? p : String(p))),
              code: i.code,
              message: i.message,
            })),
          }),
        );
      }
      return serialised(store, () => createDraft(parsed.data, ctx, options));
    },
    getPullRequest(url: string, options: PortCallOptions = {}) {
      const ctx: LocalCallContext = { adapter: name, operation: "getPullRequest" };
      if (options.signal?.aborted) return errAsync(cancelled(ctx.operation));
      const number = typeof url === "string" ? numberOfUrl(store, url) : null;
      if (number === null) return errAsync(pullRequestNotFound(String(url)));
      return readRecord(store, number, ctx).andThen((record) =>
        record === null ? errAsync(pullRequestNotFound(url)) : okAsync(toHostedPullRequest(record)),
      );
    },
  };
  return Object.freeze(host);
}
