import { randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { errAsync, okAsync, ResultAsync } from "neverthrow";
import { z } from "zod";
import type { PortError } from "../../ports/port-error.js";
import { LocalPullRequestRecord, RECORD_FILE } from "./local-pr-record.js";
import {
  invalidRecord,
  isExistingFile,
  isLinkUnsupported,
  isMissingFile,
  type LocalCallContext,
  toLocalPortError,
} from "./map-local-pr-host-errors.js";

/** The records folder of one host, absolute. */
export interface RecordStore {
  readonly dir: string;
}

/** The folder as an absolute path (relative folders are taken from the current directory, once). */
export function recordStore(dir: string): RecordStore {
  return { dir: resolve(dir) };
}

/** `<dir>/<n>.json`. */
export function recordPath(store: RecordStore, number: number): string {
  return join(store.dir, `${number}.json`);
}

/** The url of record `n`: `file://<dir>/<n>.json`, so a person can open it. */
export function recordUrl(store: RecordStore, number: number): string {
  return pathToFileURL(recordPath(store, number)).href;
}

/** The record number a url points to in this store, or `null` for any other url. */
export function numberOfUrl(store: RecordStore, url: string): number | null {
  if (!URL.canParse(url) || new URL(url).protocol !== "file:") return null;
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return null;
  }
  const match = RECORD_FILE.exec(basename(path));
  return match?.[1] !== undefined && resolve(dirname(path)) === store.dir ? Number(match[1]) : null;
}

const fsCall = <T>(ctx: LocalCallContext, path: string, run: () => Promise<T>): ResultAsync<T, PortError> =>
  ResultAsync.fromPromise(run(), (e) => toLocalPortError(e, ctx, path));

/**
 * Reads and validates record `n`: `null` when the file is not there, `port_failure` (`local_pr_record_invalid`)
 * when it is not valid JSON or not a valid record, or when its number or url do not match its file.
 */
export function readRecord(
  store: RecordStore,
  number: number,
  ctx: LocalCallContext,
): ResultAsync<LocalPullRequestRecord | null, PortError> {
  const path = recordPath(store, number);
  return ResultAsync.fromPromise(readFile(path, "utf8"), (e) => e)
    .map((text): string | null => text)
    .orElse((e) => (isMissingFile(e) ? okAsync(null) : errAsync(toLocalPortError(e, ctx, path))))
    .andThen((text) => {
      if (text === null) return okAsync(null);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        return errAsync(invalidRecord(ctx, path, `not JSON: ${e instanceof Error ? e.message : String(e)}`));
      }
      const parsed = LocalPullRequestRecord.safeParse(json);
      if (!parsed.success) return errAsync(invalidRecord(ctx, path, z.prettifyError(parsed.error)));
      if (parsed.data.number !== number || parsed.data.url !== recordUrl(store, number)) {
        return errAsync(invalidRecord(ctx, path, `its number or url does not match the file ${number}.json`));
      }
      return okAsync(parsed.data);
    });
}

/** Every record of the store, in number order; a missing folder is an empty store. */
export function listRecords(
  store: RecordStore,
  ctx: LocalCallContext,
): ResultAsync<LocalPullRequestRecord[], PortError> {
  return ResultAsync.fromPromise(readdir(store.dir), (e) => e)
    .orElse((e) =>
      isMissingFile(e) ? okAsync<string[], PortError>([]) : errAsync(toLocalPortError(e, ctx, store.dir)),
    )
    .andThen((names) => {
      const numbers = names
        .map((n) => RECORD_FILE.exec(n)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      return ResultAsync.combine(numbers.map((n) => readRecord(store, n, ctx)));
    })
    .map((records) => records.filter((r): r is LocalPullRequestRecord => r !== null));
}

function serialise(record: LocalPullRequestRecord): string {
  return `${JSON.stringify(record, null, 2)}\n`;
}

function tempPath(store: RecordStore, number: number): string {
  return join(store.dir, `.${number}.json.${process.pid}.${randomUUID()}.tmp`);
}

/** Writes `text` to a fresh temp file of the folder, runs `publish(temp)`, and always removes the temp file. */
function viaTempFile<T>(
  store: RecordStore,
  number: number,
  text: string,
  ctx: LocalCallContext,
  publish: (temp: string) => ResultAsync<T, PortError>,
): ResultAsync<T, PortError> {
  const temp = tempPath(store, number);
  const cleanup = () => ResultAsync.fromSafePromise(rm(temp, { force: true }).catch(() => undefined));
  return fsCall(ctx, temp, () => writeFile(temp, text, { flag: "wx" })).andThen(() =>
    publish(temp)
      .andThen((value) => cleanup().map(() => value))
      .orElse((error) => cleanup().andThen(() => errAsync(error))),
  );
}

/**
 * Creates record `n` atomically and without overwriting: the JSON is written to a temp file and hard-linked
 * to `<n>.json`, which fails with `false` when that number is taken (another writer won). On a file system
 * without hard links the temp file is renamed into place after checking the number is free.
 */
export function createRecord(
  store: RecordStore,
  record: LocalPullRequestRecord,
  ctx: LocalCallContext,
): ResultAsync<boolean, PortError> {
  const path = recordPath(store, record.number);
  return fsCall(ctx, store.dir, () => mkdir(store.dir, { recursive: true })).andThen(() =>
    viaTempFile(store, record.number, serialise(record), ctx, (temp) =>
      ResultAsync.fromPromise(link(temp, path), (e) => e)
        .map(() => true)
        .orElse((e) => {
          if (isExistingFile(e)) return okAsync(false);
          if (!isLinkUnsupported(e)) return errAsync(toLocalPortError(e, ctx, path));
          return ResultAsync.fromPromise(stat(path), (s) => s)
            .map(() => false)
            .orElse((s) =>
              isMissingFile(s)
                ? fsCall(ctx, path, () => rename(temp, path)).map(() => true)
                : errAsync(toLocalPortError(s, ctx, path)),
            );
        }),
    ),
  );
}

/** Replaces record `n` atomically (temp file + rename): a reader sees the old record or the new one. */
export function replaceRecord(
  store: RecordStore,
  record: LocalPullRequestRecord,
  ctx: LocalCallContext,
): ResultAsync<LocalPullRequestRecord, PortError> {
  const path = recordPath(store, record.number);
  return viaTempFile(store, record.number, serialise(record), ctx, (temp) =>
    fsCall(ctx, path, () => rename(temp, path)),
  ).map(() => record);
}

/** One queue per folder in this process, so creates and person edits of one folder never interleave. */
const QUEUES = new Map<string, Promise<unknown>>();

/**
 * Runs `task` after every earlier task of the same folder has settled (in this process). Different processes
 * on one folder are kept apart only by the no-clobber create: two may still open a draft for one branch.
 */
export function serialised<T>(
  store: RecordStore,
  task: () => ResultAsync<T, PortError>,
): ResultAsync<T, PortError> {
  const previous = QUEUES.get(store.dir) ?? Promise.resolve();
  const run = previous.then(() => task());
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  QUEUES.set(store.dir, settled);
  void settled.then(() => {
    if (QUEUES.get(store.dir) === settled) QUEUES.delete(store.dir);
  });
  return new ResultAsync(run);
}
