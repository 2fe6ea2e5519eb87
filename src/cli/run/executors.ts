import {
  AsyncExecutor,
  type Executor,
  type Logger,
  SequentialExecutor,
  type StateStore,
  ThreadedExecutor,
} from "../../index.js";
import { UsageError } from "../errors.js";
import type { ExecutorName } from "./run-options.js";

export interface ExecutorChoice {
  readonly name: ExecutorName;
  /** `--concurrency`: tasks in flight (async) or worker threads (threaded). */
  readonly concurrency: number | undefined;
  readonly stateStore: StateStore;
  readonly logger: Logger;
}

/** Refuses option combinations that mean nothing, before any work starts. */
export function checkExecutorOptions(name: ExecutorName, concurrency: number | undefined): void {
  if (name === "sequential" && concurrency !== undefined) {
    throw new UsageError(
      `--concurrency ${concurrency}: the sequential executor runs one task at a time. Use --executor async (or threaded) to run several at once.`,
    );
  }
}

/** Builds the executor `run` asked for. */
export function createExecutor(choice: ExecutorChoice): Executor {
  const { name, concurrency, stateStore, logger } = choice;
  switch (name) {
    case "sequential":
      return new SequentialExecutor({ stateStore, logger });
    case "async":
      return new AsyncExecutor({ stateStore, logger, maxConcurrent: concurrency });
    case "threaded":
      return new ThreadedExecutor({ stateStore, logger, maxWorkers: concurrency });
  }
}
