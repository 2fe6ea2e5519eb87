import { availableParallelism } from "node:os";
import type { ResourceLimits } from "node:worker_threads";
import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import { Executor, type ExecutorOptions, readConcurrency } from "../executor.js";
import { ThreadRunner } from "./runner.js";

/** Options of `new ThreadedExecutor(…)`. */
export interface ThreadedExecutorOptions extends ExecutorOptions {
  /** Task attempts running at once, each on its own worker thread. @default os.availableParallelism() */
  readonly maxWorkers?: number;
  /**
   * Limits of each worker thread (`maxOldGenerationSizeMb`, `maxYoungGenerationSizeMb`,
   * `codeRangeSizeMb`, `stackSizeMb`), as `new Worker` takes them. A task that goes past
   * the heap limit fails with code `WORKER_CRASHED` and its thread is replaced.
   * @default Node's defaults
   */
  readonly resourceLimits?: ResourceLimits;
}

const LIMIT_KEYS = [
  "maxOldGenerationSizeMb",
  "maxYoungGenerationSizeMb",
  "codeRangeSizeMb",
  "stackSizeMb",
] as const;

/**
 * Runs up to `maxWorkers` task attempts in parallel on worker threads: for CPU-bound
 * work. Each worker imports the module that defines the workflow and runs the task from
 * there, so the workflow needs `module: import.meta.url` and must be exported from that
 * module. Inputs and results cross threads with the stores' serialization; task code
 * does not share the main thread's variables. On timeout or cancellation the attempt's
 * thread is terminated and replaced, so even a synchronous endless loop ends.
 * Idle threads never keep the process alive; `close()` terminates them.
 *
 * @example
 * export const wf = new Workflow({ name: "render", module: import.meta.url });
 * wf.addTask(render_tiles);
 * await using executor = new ThreadedExecutor({ maxWorkers: 4, stateStore });
 * await executor.execute(wf);
 */
export class ThreadedExecutor extends Executor {
  readonly maxWorkers: number;
  protected readonly runner: ThreadRunner;

  constructor(options: ThreadedExecutorOptions = {}) {
    super(options, "ThreadedExecutor");
    this.maxWorkers = readConcurrency(
      "ThreadedExecutor",
      "maxWorkers",
      options.maxWorkers,
      availableParallelism(),
    );
    this.runner = new ThreadRunner({
      maxWorkers: this.maxWorkers,
      resourceLimits: readResourceLimits(options.resourceLimits),
      logger: this.logger,
    });
  }

  /** Worker threads alive now, busy or idle (started on demand, up to `maxWorkers`). */
  get threads(): number {
    return this.runner.threads;
  }

  /** Terminates the worker threads; later `execute` calls fail. Safe to call twice. */
  override async close(): Promise<void> {
    await this.runner.close();
  }
}

function readResourceLimits(value: unknown): ResourceLimits | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      `ThreadedExecutor option "resourceLimits" must be an object like { maxOldGenerationSizeMb: 256 }; got ${show(value)}.`,
    );
  }
  const limits: Record<string, number> = {};
  for (const [key, limit] of Object.entries(value)) {
    if (!(LIMIT_KEYS as readonly string[]).includes(key)) {
      throw new ConfigurationError(
        `ThreadedExecutor option "resourceLimits" has an unknown key ${show(key)}; the keys are ${LIMIT_KEYS.join(", ")}.`,
      );
    }
    if (typeof limit !== "number" || !Number.isFinite(limit) || limit <= 0) {
      throw new ConfigurationError(
        `ThreadedExecutor option "resourceLimits.${key}" must be a number of megabytes > 0; got ${show(limit)}.`,
      );
    }
    limits[key] = limit;
  }
  return limits;
}
