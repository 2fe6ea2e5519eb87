import type { Logger } from "./logger.js";
import type { AnyTask } from "./task.js";

export type RunStatus = "COMPLETED" | "FAILED" | "CANCELLED";

/** A task's outcome in a {@link RunResult}. */
export interface TaskSummary {
  readonly status: string;
  readonly attempts: number;
  /** Seconds, when the task ran (or its stored duration, when restored). */
  readonly duration: number | undefined;
  readonly error: Error | undefined;
  /** True when the completion came from the store instead of a new attempt. */
  readonly restored: boolean;
}

/** What `execute` resolves to, and what WorkflowFailedError carries. */
export interface RunResult {
  readonly runId: string;
  /** The workflow's name. */
  readonly workflow: string;
  readonly runKey: string;
  readonly status: RunStatus;
  readonly tasks: Readonly<Record<string, TaskSummary>>;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Seconds. */
  readonly duration: number;
}

export interface RunEvent {
  readonly runId: string;
  readonly workflow: string;
  readonly runKey: string;
}

export interface TaskEvent extends RunEvent {
  /** The workflow's node of the task. */
  readonly task: AnyTask;
  readonly attempt: number;
  readonly error?: Error;
}

/** Events executors emit, with their payloads. */
export interface ExecutorEvents {
  "run:start": RunEvent;
  "run:finish": RunEvent & { readonly result: RunResult };
  "task:start": TaskEvent;
  "task:complete": TaskEvent;
  /** A failed attempt will be retried; `attempt` is the attempt about to start. */
  "task:retry": TaskEvent & { readonly error: Error };
  /** A task failed for good. */
  "task:error": TaskEvent & { readonly error: Error };
  /** A task will not run: a dependency failed, or the run stopped before it started. */
  "task:skip": TaskEvent;
}

export type ExecutorEventName = keyof ExecutorEvents;
export type Listener<E extends ExecutorEventName> = (payload: ExecutorEvents[E]) => unknown;

/**
 * Typed listeners whose errors are logged and never reach the run: a monitoring hook that
 * throws must not change a task's outcome.
 */
export class SafeEmitter {
  readonly #listeners = new Map<ExecutorEventName, Set<Listener<ExecutorEventName>>>();

  on<E extends ExecutorEventName>(event: E, listener: Listener<E>): void {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as Listener<ExecutorEventName>);
  }

  off<E extends ExecutorEventName>(event: E, listener: Listener<E>): void {
    this.#listeners.get(event)?.delete(listener as Listener<ExecutorEventName>);
  }

  has(event: ExecutorEventName): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends ExecutorEventName>(event: E, payload: ExecutorEvents[E], logger: Logger): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const listener of [...set]) {
      guard(logger, `"${event}" listener`, () => listener(payload));
    }
  }
}

/** Calls user code whose failure must only be logged (callbacks, listeners). */
export function guard(logger: Logger, what: string, call: () => unknown): void {
  try {
    const returned = call();
    if (returned instanceof Promise) {
      returned.catch((error: unknown) => report(logger, what, error));
    }
  } catch (error) {
    report(logger, what, error);
  }
}

function report(logger: Logger, what: string, error: unknown): void {
  try {
    logger.warn({ error }, `${what} threw; the run goes on unchanged`);
  } catch {
    // A logger that throws must not break the run either.
  }
}
