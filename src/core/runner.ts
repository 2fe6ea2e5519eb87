import type { TaskContext, TaskDefinition } from "./task.js";
import type { Workflow } from "./workflow.js";

/** One attempt of one task, as an executor receives it. */
export interface AttemptRequest {
  readonly workflow: Workflow;
  readonly task: TaskDefinition<never, unknown>;
  /** Dependencies' results by task name. */
  readonly inputs: Record<string, unknown>;
  readonly ctx: TaskContext;
  /**
   * Starts the attempt's timeout clock. Runners that declare `armsTimeout` call it when
   * the task function really starts (after a worker imported its module); for the others
   * the clock starts as the attempt is handed over.
   */
  readonly armTimeout: () => void;
}

/**
 * Where attempts run: the one thing an executor decides. Everything else (order, retries,
 * timeouts, statuses, callbacks, events, store writes) belongs to the scheduler.
 */
export interface AttemptRunner {
  /** How many attempts may be in flight at once. */
  readonly concurrency: number;
  /** True when the runner calls `request.armTimeout()` itself. */
  readonly armsTimeout?: boolean;
  /** Called before a run starts, to check the workflow can be run here (or fail clearly). */
  prepare?(workflow: Workflow): Promise<void>;
  /**
   * Runs one attempt: returns the task's result, or a promise of it; throws or rejects
   * with its error. The scheduler stops waiting at a timeout or cancellation
   * (`ctx.signal` aborts); a runner that can stop the work for real (a worker thread)
   * does so then.
   */
  runAttempt(request: AttemptRequest): unknown;
}

/** Whether a runner handed back a promise (or any thenable) rather than a result. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
