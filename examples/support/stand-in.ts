/**
 * A local stand-in service started by the first task that needs it. Under
 * `npx flowweaver run examples/X.ts` nothing else could start it: the CLI only imports
 * the file and runs its workflow, never the file's main block. Importing an example
 * (tests, worker threads) starts nothing; the server never keeps the process alive, so
 * it ends with the process unless something closes it first.
 */
import { type LocalApi, type Route, startLocalApi } from "./local-api.js";

export interface StandIn {
  /** What the stand-in is, for messages: `"the CRM"`. */
  readonly label: string;
  /** The stand-in's base URL, starting it on the first call (concurrent calls share one start). */
  url(): Promise<string>;
  /** Stops the stand-in if it was started; the next `url()` starts a new one. */
  close(): Promise<void>;
}

/**
 * A stand-in serving `routes()`, started on first use. `routes` is a function so that
 * stateful routes (`failFirst`, …) start counting when the server starts.
 *
 * @example
 * export const quotesApi = lazyStandIn("the quotes API", () => ({ "/quotes": json(QUOTES) }));
 * const url = await quotesApi.url();
 */
export function lazyStandIn(label: string, routes: () => Readonly<Record<string, Route>>): StandIn {
  let started: Promise<LocalApi> | undefined;
  return {
    label,
    url: async () => {
      started ??= startLocalApi(routes(), { background: true });
      try {
        return (await started).url;
      } catch (error) {
        started = undefined; // let a retry of the task try again
        throw new Error(`could not start ${label} on 127.0.0.1: ${String(error)}`, {
          cause: error,
        });
      }
    },
    close: async () => {
      const api = started;
      started = undefined;
      // A stand-in that failed to start has nothing to close.
      await api?.then(
        (running) => running.close(),
        () => {},
      );
    },
  };
}
