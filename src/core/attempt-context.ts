import { type Logger, type TaskLogger, taskLogger } from "./logger.js";
import type { TaskContext } from "./task.js";

/**
 * `ctx` of one attempt. A class rather than a literal so every context has one shape, and
 * `log` is only built when a task asks for it (most never do).
 */
export class AttemptContext implements TaskContext {
  readonly #logger: Logger;
  #log: TaskLogger | undefined;

  constructor(
    readonly signal: AbortSignal,
    readonly attempt: number,
    readonly taskName: string,
    readonly workflowName: string,
    readonly runId: string,
    readonly runKey: string,
    readonly params: Readonly<Record<string, unknown>>,
    logger: Logger,
  ) {
    this.#logger = logger;
  }

  get log(): TaskLogger {
    this.#log ??= taskLogger(this.#logger, {
      runId: this.runId,
      workflow: this.workflowName,
      task: this.taskName,
      attempt: this.attempt,
    });
    return this.#log;
  }

  /** Plain data, for logging a context or sending it elsewhere. */
  toJSON(): Omit<TaskContext, "signal" | "log"> {
    return {
      attempt: this.attempt,
      taskName: this.taskName,
      workflowName: this.workflowName,
      runId: this.runId,
      runKey: this.runKey,
      params: this.params,
    };
  }
}
