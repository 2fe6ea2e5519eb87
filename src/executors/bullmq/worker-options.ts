/**
 * The options of {@link startWorker}, checked once where they are given.
 */
import type { Duration } from "../../core/duration.js";
import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import { type Logger, stderrLogger } from "../../core/logger.js";
import type { Workflow } from "../../core/workflow.js";
import type { StateStore } from "../../stores/store.js";
import {
  type QueueOptions,
  type ResolvedQueue,
  readDurationMs,
  readWholeNumber,
  resolveQueue,
} from "./options.js";

/** Options of {@link startWorker}. Give `module` or `workflow`. */
export interface WorkerOptions extends QueueOptions {
  /** The module (path or URL) that exports the workflows to serve, as `flowweaver worker FILE` takes it. */
  readonly module?: string | URL;
  /** Or the workflows themselves, for a worker in the process that defines them. */
  readonly workflow?: Workflow | readonly Workflow[];
  /**
   * The coordinator's state store (the same PostgreSQL, or SQLite file on one host): large
   * inputs are read from it and, where it keeps payloads (PostgreSQL), large results are
   * written to it. Without one, results travel through Redis and tasks whose inputs were
   * left in the store fail.
   */
  readonly stateStore?: StateStore;
  /** Attempts this worker runs at once, on its event loop. @default 10 */
  readonly concurrency?: number;
  /** pino, or any object with debug/info/warn/error. @default warnings and errors to stderr */
  readonly logger?: Logger;
  /**
   * How long a job stays with this worker without news from it. A worker killed (or whose
   * event loop is blocked) this long loses its jobs to other workers; a task that blocks
   * the event loop longer is run again elsewhere. @default "30s"
   */
  readonly lockDuration?: Duration;
  /** How often the worker looks for jobs whose worker stopped answering. @default "30s" */
  readonly stalledInterval?: Duration;
  /**
   * How often a job may lose its worker before its attempt fails (code `WORKER_LOST`,
   * which the task's own retries may retry). @default 1
   */
  readonly maxStalledCount?: number;
  /** On `close()`, how long running attempts may take before they are handed back to the queue. @default "30s" */
  readonly shutdownGrace?: Duration;
}

const OPTIONS = [
  "module",
  "workflow",
  "connection",
  "queueName",
  "prefix",
  "stateStore",
  "concurrency",
  "logger",
  "lockDuration",
  "stalledInterval",
  "maxStalledCount",
  "shutdownGrace",
];

export interface ResolvedWorkerOptions {
  readonly queue: ResolvedQueue;
  readonly store: StateStore | undefined;
  readonly concurrency: number;
  readonly logger: Logger;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly graceMs: number;
}

export function resolveWorkerOptions(options: WorkerOptions): ResolvedWorkerOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigurationError(`startWorker() takes an options object; got ${show(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!OPTIONS.includes(key)) {
      throw new ConfigurationError(
        `startWorker: unknown option "${key}". Known options: ${OPTIONS.join(", ")}.`,
      );
    }
  }
  const { stateStore, logger } = options;
  if (
    stateStore !== undefined &&
    (typeof stateStore !== "object" ||
      stateStore === null ||
      typeof stateStore.loadResult !== "function")
  ) {
    throw new ConfigurationError(
      `startWorker option "stateStore" must be a state store (PostgresStateStore, SQLiteStateStore, …); got ${show(stateStore)}.`,
    );
  }
  if (
    logger !== undefined &&
    (typeof logger !== "object" ||
      logger === null ||
      !["debug", "info", "warn", "error"].every(
        (level) => typeof (logger as unknown as Record<string, unknown>)[level] === "function",
      ))
  ) {
    throw new ConfigurationError(
      `startWorker option "logger" must have debug, info, warn and error methods (pino works); got ${show(logger)}.`,
    );
  }
  const owner = "startWorker";
  return {
    queue: resolveQueue(owner, options),
    store: stateStore,
    concurrency: readWholeNumber(owner, "concurrency", options.concurrency, 1, 10),
    logger: logger ?? stderrLogger,
    lockDurationMs: readDurationMs(owner, "lockDuration", options.lockDuration, 30_000),
    stalledIntervalMs: readDurationMs(owner, "stalledInterval", options.stalledInterval, 30_000),
    maxStalledCount: readWholeNumber(owner, "maxStalledCount", options.maxStalledCount, 0, 1),
    graceMs: readGraceMs(options.shutdownGrace, 30_000),
  };
}

export function readGraceMs(value: unknown, fallbackMs: number): number {
  return value === 0 ? 0 : readDurationMs("startWorker", "shutdownGrace", value, fallbackMs);
}
