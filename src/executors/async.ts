import {
  EXECUTOR_OPTIONS,
  Executor,
  type ExecutorOptions,
  readConcurrency,
  refuseUnknownOptions,
} from "./executor.js";
import { InlineRunner } from "./inline-runner.js";

export interface AsyncExecutorOptions extends ExecutorOptions {
  /** Tasks in flight at once. @default 10 */
  readonly maxConcurrent?: number;
}

/**
 * Runs up to `maxConcurrent` tasks at once on the event loop: for I/O-bound work
 * (HTTP calls, database queries). CPU-bound tasks belong on the ThreadedExecutor.
 *
 * @example
 * await new AsyncExecutor({ maxConcurrent: 50, stateStore }).execute(wf);
 */
export class AsyncExecutor extends Executor {
  readonly maxConcurrent: number;
  protected readonly runner: InlineRunner;

  constructor(options: AsyncExecutorOptions = {}) {
    super(options, "AsyncExecutor");
    refuseUnknownOptions("AsyncExecutor", options, [...EXECUTOR_OPTIONS, "maxConcurrent"]);
    this.maxConcurrent = readConcurrency(
      "AsyncExecutor",
      "maxConcurrent",
      options.maxConcurrent,
      10,
    );
    this.runner = new InlineRunner(this.maxConcurrent);
  }
}
