import {
  EXECUTOR_OPTIONS,
  Executor,
  type ExecutorOptions,
  refuseUnknownOptions,
} from "./executor.js";
import { InlineRunner } from "./inline-runner.js";

/**
 * Runs one task at a time on the event loop, in a deterministic topological order
 * (among ready tasks, the one added first). The executor for debugging and for work that
 * must not overlap.
 *
 * @example
 * const run = await new SequentialExecutor({ stateStore }).execute(wf);
 */
export class SequentialExecutor extends Executor {
  protected readonly runner = new InlineRunner(1);

  constructor(options?: ExecutorOptions) {
    super(options, "SequentialExecutor");
    refuseUnknownOptions("SequentialExecutor", options, EXECUTOR_OPTIONS);
  }
}
