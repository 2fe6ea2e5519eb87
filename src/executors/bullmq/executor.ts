import type { RunResult } from "../../core/events.js";
import type { AttemptRunner } from "../../core/runner.js";
import type { Workflow } from "../../core/workflow.js";
import {
  EXECUTOR_OPTIONS,
  type ExecuteOptions,
  Executor,
  type ExecutorOptions,
  readConcurrency,
  refuseUnknownOptions,
} from "../executor.js";
import { type QueueOptions, readWholeNumber, resolveQueue } from "./options.js";
import { QueueRunner } from "./runner.js";

/** Options of `new BullMQExecutor(…)`. */
export interface BullMQExecutorOptions extends ExecutorOptions, QueueOptions {
  /**
   * Attempts in flight at once: queued or running on a worker. Make it at least the sum
   * of the workers' concurrency, or workers wait for work.
   * @default 100
   */
  readonly concurrency?: number;
  /**
   * Inputs and results whose encoded form is larger than this many bytes travel through
   * the state store (which every worker must then share, `--state`) instead of Redis.
   * @default 65536
   */
  readonly maxInlineBytes?: number;
}

const OPTIONS = [
  ...EXECUTOR_OPTIONS,
  "connection",
  "queueName",
  "prefix",
  "concurrency",
  "maxInlineBytes",
];

/**
 * Runs a workflow across processes and hosts: this process stays the coordinator (the
 * scheduler decides order, retries, timeouts, callbacks, events and every store write),
 * and each ready attempt becomes a BullMQ job on Redis that a worker process
 * (`flowweaver worker FILE`, or {@link startWorker}) runs. A worker killed mid-task loses
 * nothing: BullMQ hands its job to another worker. BullMQ's own retries stay off: a task
 * retries exactly as with the other executors.
 *
 * bullmq and ioredis are optional peer dependencies, loaded on first use. Connections
 * open when a run starts and close when the last run ends.
 *
 * @example
 * const stateStore = new PostgresStateStore("postgres://app@db:5432/app");
 * await using executor = new BullMQExecutor({ connection: "redis://queue:6379", stateStore });
 * await executor.execute(wf);
 * // on each worker host: npx flowweaver worker etl.ts --redis redis://queue:6379 --state postgres://app@db:5432/app
 */
export class BullMQExecutor extends Executor {
  readonly concurrency: number;
  readonly queueName: string;
  protected readonly runner: AttemptRunner;
  readonly #runner: QueueRunner;

  constructor(options: BullMQExecutorOptions) {
    super(options, "BullMQExecutor");
    refuseUnknownOptions("BullMQExecutor", options, OPTIONS);
    // The base class has refused anything but an object or undefined.
    const given: Partial<BullMQExecutorOptions> = options ?? {};
    const queue = resolveQueue("BullMQExecutor", given);
    this.concurrency = readConcurrency("BullMQExecutor", "concurrency", given.concurrency, 100);
    this.queueName = queue.queueName;
    this.#runner = new QueueRunner({
      queue,
      concurrency: this.concurrency,
      inlineLimit: readWholeNumber(
        "BullMQExecutor",
        "maxInlineBytes",
        given.maxInlineBytes,
        0,
        65_536,
      ),
      stateStore: this.stateStore,
      logger: this.logger,
    });
    this.runner = this.#runner;
  }

  override async execute(workflow: Workflow, options?: ExecuteOptions): Promise<RunResult> {
    this.#runner.begin();
    try {
      return await super.execute(workflow, options);
    } finally {
      await this.#runner.end();
    }
  }

  /** Closes the Redis connections; attempts still waiting fail. Safe to call twice. */
  override async close(): Promise<void> {
    await this.#runner.close();
  }
}
