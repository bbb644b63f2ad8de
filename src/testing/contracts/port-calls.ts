import type { Result, ResultAsync } from "neverthrow";
import { describeForTest } from "../result-expectations.js";

/** Which port method produced each answer the suites await, so a failure can name it. */
const producedBy = new WeakMap<object, string>();
/** The adapter behind each traced view, for callbacks that must see the user's own object. */
const originals = new WeakMap<object, object>();

/**
 * A view of `port` that remembers which method (`storage.leases.heartbeat`) produced each answer, so that
 * {@link okOf} and {@link errOf} can say which call broke the contract in their one-line message. Methods run
 * on the adapter itself (`this` is the adapter, so private fields work); nested objects such as
 * `StoragePort.leases` are traced too. A frozen adapter (`Object.freeze(host)`) is traced as well: a proxy
 * may not answer a non-configurable property with another value, so the view then stands on a blank object
 * inheriting from the adapter.
 */
export function tracePortCalls<T extends object>(port: T, label: string): T {
  const fixed = Reflect.ownKeys(port).some(
    (key) => Reflect.getOwnPropertyDescriptor(port, key)?.configurable === false,
  );
  const view = new Proxy<T>(fixed ? Object.create(port) : port, {
    get(_target, property, receiver) {
      const value = Reflect.get(port, property, receiver === view ? port : receiver);
      const name = `${label}.${String(property)}`;
      if (typeof value === "function") {
        return (...args: unknown[]) => {
          const answer: unknown = Reflect.apply(value, port, args);
          if (typeof answer === "object" && answer !== null) producedBy.set(answer, name);
          return answer;
        };
      }
      if (typeof value === "object" && value !== null && typeof property === "string") {
        return tracePortCalls(value, name);
      }
      return value;
    },
  });
  originals.set(view, port);
  return view;
}

/** The adapter a {@link tracePortCalls} view stands for (or `port` itself). */
export function untraced<T extends object>(port: T): T {
  return (originals.get(port) as T | undefined) ?? port;
}

type Answer<T, E> = ResultAsync<T, E> | Promise<Result<T, E>> | Result<T, E>;

/** `storage.listRuns` when a traced port produced `answer`, else a neutral word. */
function callName(answer: object): string {
  return producedBy.get(answer) ?? "the call";
}

/** One line of a value or error, cut to a readable length (the full value follows on the next lines). */
function oneLine(value: unknown): string {
  const text = describeForTest(value).replace(/\s+/g, " ");
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * The ok value of `answer`; otherwise throws, naming the port method, the error's kind and code on the first
 * line and the whole error after it.
 */
export async function okOf<T, E>(answer: Answer<T, E>): Promise<T> {
  const settled = await answer;
  if (settled.isOk()) return settled.value;
  const error = settled.error as { kind?: unknown; code?: unknown; message?: unknown } | null;
  throw new Error(
    `${callName(answer)} answered Err ${String(error?.kind)}/${String(error?.code)} where the contract expects Ok: ${String(error?.message)}\n${describeForTest(settled.error)}`,
  );
}

/**
 * The error of `answer`; when it succeeded, throws, naming the port method on the first line (a dropped
 * `signal` or a missing check shows as "storage.listRuns answered Ok where the contract expects an Err").
 */
export async function errOf<T, E>(answer: Answer<T, E>): Promise<E> {
  const settled = await answer;
  if (settled.isErr()) return settled.error;
  throw new Error(
    `${callName(answer)} answered Ok where the contract expects an Err: ${oneLine(settled.value)}\n${describeForTest(settled.value)}`,
  );
}
