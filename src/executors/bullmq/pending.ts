/**
 * The attempts a coordinator waits for, by job id. Most attempts of a run share one
 * signal (the run's; tasks with a timeout have their own), and an AbortSignal's listener
 * list is searched on every add: one listener per signal, not per attempt, keeps queuing
 * thousands of attempts linear.
 */
import { toError } from "../../core/errors.js";
import type { AttemptRequest } from "../../core/runner.js";

export interface Pending {
  readonly request: AttemptRequest;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Group {
  readonly jobs: Set<string>;
  readonly onAbort: () => void;
}

export class PendingAttempts {
  readonly #byJob = new Map<string, Pending>();
  readonly #bySignal = new Map<AbortSignal, Group>();
  readonly #cancelled: (jobId: string, reason: unknown) => void;

  /** `cancelled` hears of each attempt given up because its signal aborted. */
  constructor(cancelled: (jobId: string, reason: unknown) => void) {
    this.#cancelled = cancelled;
  }

  /** Waits for `jobId`; its signal must not have aborted yet. */
  add(jobId: string, pending: Pending): void {
    this.#byJob.set(jobId, pending);
    const signal = pending.request.ctx.signal;
    let group = this.#bySignal.get(signal);
    if (!group) {
      const jobs = new Set<string>();
      const onAbort = () => this.#aborted(signal, jobs);
      group = { jobs, onAbort };
      this.#bySignal.set(signal, group);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    group.jobs.add(jobId);
  }

  get(jobId: string): Pending | undefined {
    return this.#byJob.get(jobId);
  }

  /** Stops waiting for `jobId` and returns what waited, if anything did. */
  take(jobId: string): Pending | undefined {
    const pending = this.#byJob.get(jobId);
    if (!pending) return undefined;
    this.#byJob.delete(jobId);
    const signal = pending.request.ctx.signal;
    const group = this.#bySignal.get(signal);
    if (group) {
      group.jobs.delete(jobId);
      if (group.jobs.size === 0) {
        signal.removeEventListener("abort", group.onAbort);
        this.#bySignal.delete(signal);
      }
    }
    return pending;
  }

  /** Every job id waited for. */
  jobs(): string[] {
    return [...this.#byJob.keys()];
  }

  #aborted(signal: AbortSignal, jobs: Set<string>): void {
    this.#bySignal.delete(signal);
    const reason = signal.reason;
    for (const jobId of jobs) {
      const pending = this.#byJob.get(jobId);
      if (!pending) continue;
      this.#byJob.delete(jobId);
      pending.reject(toError(reason));
      this.#cancelled(jobId, reason);
    }
  }
}
