import { createHash } from "node:crypto";
import type { Logger } from "../core/logger.js";
import type { DashboardStore } from "./read-model.js";

/** How many of the newest runs a fingerprint covers: enough to see any new or finished run. */
const WATCHED_RUNS = 20;

type Subscriber = (version: string) => void;

/**
 * Notices changes to a store written by other processes. Stores have no change feed, so
 * while anyone listens the watcher reads a cheap fingerprint every `intervalMs`: the
 * workflow names, the newest runs' statuses, and the attempts and task states of runs in
 * progress. Subscribers hear the new fingerprint whenever it differs. Nothing is read
 * while nobody listens, and the timer never keeps the process alive.
 */
export class ChangeWatcher {
  readonly #store: DashboardStore;
  readonly #intervalMs: number;
  readonly #logger: Logger;
  readonly #subscribers = new Set<Subscriber>();
  #version: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #closed = false;
  #lastError: string | undefined;

  constructor(store: DashboardStore, intervalMs: number, logger: Logger) {
    this.#store = store;
    this.#intervalMs = intervalMs;
    this.#logger = logger;
  }

  /**
   * The current fingerprint, read now. It becomes the baseline for change detection only
   * when there is none: a later subscriber must not hide from earlier ones a change they
   * have not been told about yet (it hears that change too, which costs one refresh).
   */
  async version(): Promise<string> {
    const current = await fingerprint(this.#store);
    this.#version ??= current;
    return current;
  }

  /** Calls `subscriber` with each new fingerprint; returns the unsubscribe function. */
  subscribe(subscriber: Subscriber): () => void {
    this.#subscribers.add(subscriber);
    this.#arm();
    return () => {
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#disarm();
    };
  }

  /** Stops polling; waits for a read in progress so the store can be closed after. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subscribers.clear();
    this.#disarm();
    await this.#polling;
  }

  #arm(): void {
    if (this.#timer || this.#polling || this.#closed || this.#subscribers.size === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        this.#arm();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // Nobody listens: the next subscriber's first read sets a fresh baseline.
    this.#version = undefined;
  }

  async #poll(): Promise<void> {
    let next: string;
    try {
      next = await fingerprint(this.#store);
      this.#lastError = undefined;
    } catch (error) {
      // A store briefly busy or being replaced (JSON compaction) is read again next time;
      // the same failure is logged once, not at every tick.
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#lastError) {
        this.#logger.warn({ error }, "dashboard: could not read the store to look for changes");
      }
      this.#lastError = message;
      return;
    }
    if (next === this.#version || this.#closed) return;
    this.#version = next;
    for (const subscriber of this.#subscribers) subscriber(next);
  }
}

async function fingerprint(store: DashboardStore): Promise<string> {
  const hash = createHash("sha256");
  hash.update(JSON.stringify(await store.listWorkflows()));
  for (const run of await store.listRuns({ limit: WATCHED_RUNS })) {
    hash.update(JSON.stringify([run.runId, run.status, run.finishedAt ?? null]));
    if (run.status !== "RUNNING") continue;
    for (const a of await store.listAttempts(run.runId)) {
      hash.update(JSON.stringify([a.task, a.attempt, a.status, a.finishedAt ?? null]));
    }
    for (const s of await store.listTaskStates(run.workflow, run.runKey)) {
      hash.update(JSON.stringify([s.task, s.status, s.runId, s.attempts, s.finishedAt ?? null]));
    }
  }
  return hash.digest("base64url").slice(0, 22);
}
