import { toError } from "../../core/errors.js";
import { decodeValue, type EncodedValue } from "../../core/serialization.js";

/** Fetches the stored results of some tasks of one partition; absent tasks are left out. */
export type FetchResults = (
  workflow: string,
  runKey: string,
  tasks: readonly string[],
) => Promise<Map<string, EncodedValue>>;

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Group {
  readonly workflow: string;
  readonly runKey: string;
  readonly tasks: Map<string, Waiter[]>;
}

/** Tasks asked for in one query: enough to make round trips rare, few enough to bound a reply. */
export const RESULTS_PER_QUERY = 500;

/**
 * Gathers the `loadResult` calls made in one turn of the event loop into one query per
 * partition (and per {@link RESULTS_PER_QUERY} tasks). A resumed run asks for every
 * restored result at once; over the network that is a handful of round trips instead of
 * one per task.
 */
export class ResultLoader {
  readonly #fetch: FetchResults;
  #groups = new Map<string, Group>();

  constructor(fetch: FetchResults) {
    this.#fetch = fetch;
  }

  /** The decoded result of one task, or undefined when none is stored. */
  load(workflow: string, runKey: string, task: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#groups.size === 0) queueMicrotask(() => this.#flush());
      const id = `${workflow}\u0000${runKey}`;
      let group = this.#groups.get(id);
      if (!group) {
        group = { workflow, runKey, tasks: new Map() };
        this.#groups.set(id, group);
      }
      const waiters = group.tasks.get(task);
      if (waiters) waiters.push({ resolve, reject });
      else group.tasks.set(task, [{ resolve, reject }]);
    });
  }

  #flush(): void {
    const groups = this.#groups;
    this.#groups = new Map();
    for (const group of groups.values()) {
      const tasks = [...group.tasks.keys()];
      for (let at = 0; at < tasks.length; at += RESULTS_PER_QUERY) {
        void this.#answer(group, tasks.slice(at, at + RESULTS_PER_QUERY));
      }
    }
  }

  async #answer(group: Group, tasks: readonly string[]): Promise<void> {
    let found: Map<string, EncodedValue>;
    try {
      found = await this.#fetch(group.workflow, group.runKey, tasks);
    } catch (error) {
      for (const task of tasks)
        for (const waiter of group.tasks.get(task) ?? []) waiter.reject(toError(error));
      return;
    }
    for (const task of tasks) {
      const encoded = found.get(task);
      for (const waiter of group.tasks.get(task) ?? []) {
        if (encoded === undefined) {
          waiter.resolve(undefined);
          continue;
        }
        // Each caller gets a value of its own, as from a store read: none shares one.
        try {
          waiter.resolve(decodeValue(encoded));
        } catch (error) {
          waiter.reject(toError(error));
        }
      }
    }
  }
}
