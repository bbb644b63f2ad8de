import { errAsync, type ResultAsync } from "neverthrow";
import { z } from "zod";
import { rungateError } from "../../core/errors.js";
import type { Clock } from "../../ports/clock.js";
import type { PortError } from "../../ports/port-error.js";
import type { HostedPullRequest } from "../../ports/pull-request-host.js";
import { parseLocalConfig } from "./local-pr-host-adapter.js";
import { toHostedPullRequest } from "./local-pr-record.js";
import { numberOfUrl, readRecord, replaceRecord, serialised } from "./local-pr-store.js";
import type { LocalCallContext } from "./map-local-pr-host-errors.js";
import { pullRequestNotFound } from "./map-local-pr-host-errors.js";

const Person = z.string().trim().min(1);

/**
 * **What a person runs, never the orchestrator**: records on the local host that `by` merged the pull request
 * at `url` (after merging the branch with git themselves). The record becomes `merged` with `decided_by: by`
 * and `decided_at` now; rungate's `observePullRequest` then sees the merge. It is a free function, not a
 * method of the host, because a pull-request host must offer no merge.
 *
 * Allowed from `draft_open` and `open`; `conflict` when the record is already merged or closed, `not_found`
 * for a url that is not a record of `dir`, `port_failure` for an invalid record. Written atomically.
 *
 * @param dir the local host's folder (as given to `createLocalPullRequestHost`).
 * @param url the pull request's url (`file://<dir>/<n>.json`).
 * @param by who merged it (a person's name or login).
 * @param options `clock` for `decided_at` (default: the system clock).
 */
export function recordLocalMerge(
  dir: string,
  url: string,
  by: string,
  options: { readonly clock?: Clock } = {},
): ResultAsync<HostedPullRequest, PortError> {
  const { store, clock } = parseLocalConfig(
    { dir, ...(options.clock ? { clock: options.clock } : {}) },
    "recordLocalMerge",
  );
  const ctx: LocalCallContext = { adapter: "local-pr-host", operation: "recordLocalMerge" };
  const person = Person.safeParse(by);
  if (!person.success) {
    return errAsync(
      rungateError("validation", "invalid_person", {
        issues: [{ path: ["by"], code: "too_small", message: "name who merged the pull request" }],
      }),
    );
  }
  const number = numberOfUrl(store, url);
  if (number === null) return errAsync(pullRequestNotFound(url));
  return serialised(store, () =>
    readRecord(store, number, ctx).andThen((record) => {
      if (record === null) return errAsync(pullRequestNotFound(url));
      if (record.status === "merged" || record.status === "closed") {
        return errAsync(
          rungateError("conflict", `pull_request_${record.status}`, {
            entity: "local pull request",
            id: url,
          }),
        );
      }
      return replaceRecord(
        store,
        { ...record, status: "merged", decided_by: person.data, decided_at: clock.now() },
        ctx,
      ).map(toHostedPullRequest);
    }),
  );
}
