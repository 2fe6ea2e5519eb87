import { show } from "../core/duration.js";
import { ConfigurationError, WorkflowBusyError } from "../core/errors.js";
import {
  type ExecutorEventName,
  type Listener,
  type RunResult,
  SafeEmitter,
} from "../core/events.js";
import { type Logger, stderrLogger } from "../core/logger.js";
import { type AttemptRunner, runWorkflow } from "../core/scheduler.js";
import { Workflow } from "../core/workflow.js";
import { MemoryStateStore } from "../stores/memory/index.js";
import type { StateStore } from "../stores/store.js";
import { isWorkerModuleCode, skippedInWorker } from "./threaded/marker.js";

/** Options every executor takes. */
export interface ExecutorOptions {
  /** Where task states and results are kept. @default a MemoryStateStore for each run */
  readonly stateStore?: StateStore;
  /** pino, or any object with debug/info/warn/error. @default warnings and errors to stderr */
  readonly logger?: Logger;
}

/** Options of one `execute` call. */
export interface ExecuteOptions {
  /** Aborting it stops the run: running tasks are aborted, what finished is saved. */
  readonly signal?: AbortSignal;
  /** Reach every task as `ctx.params`. */
  readonly params?: Readonly<Record<string, unknown>>;
  /** The state partition: runs with the same key resume each other. @default "default" */
  readonly runKey?: string;
  /** Cancel the rest of the run at the first task failure. @default false */
  readonly failFast?: boolean;
}

/**
 * What every executor shares: options, events and `execute`. Subclasses only supply the
 * {@link AttemptRunner} that decides where an attempt runs.
 */
export abstract class Executor implements AsyncDisposable {
  readonly stateStore: StateStore | undefined;
  readonly logger: Logger;
  readonly #events = new SafeEmitter();
  protected abstract readonly runner: AttemptRunner;

  constructor(options: ExecutorOptions | undefined, kind: string) {
    const given: unknown = options ?? {};
    if (typeof given !== "object" || given === null || Array.isArray(given)) {
      throw new ConfigurationError(`new ${kind}() takes an options object; got ${show(options)}.`);
    }
    const { stateStore, logger } = given as Record<string, unknown>;
    if (stateStore !== undefined && !isStateStore(stateStore)) {
      throw new ConfigurationError(
        `${kind} option "stateStore" must be a state store (SQLiteStateStore, JSONStateStore, MemoryStateStore, …); got ${show(stateStore)}.`,
      );
    }
    if (logger !== undefined && !isLogger(logger)) {
      throw new ConfigurationError(
        `${kind} option "logger" must have debug, info, warn and error methods (pino works); got ${show(logger)}.`,
      );
    }
    this.stateStore = stateStore as StateStore | undefined;
    this.logger = (logger as Logger | undefined) ?? stderrLogger;
  }

  /** Listens to run-wide events; listener errors are logged and change nothing. */
  on<E extends ExecutorEventName>(event: E, listener: Listener<E>): this {
    if (typeof listener !== "function") {
      throw new ConfigurationError(
        `on("${event}", listener): listener must be a function; got ${show(listener)}.`,
      );
    }
    this.#events.on(event, listener);
    return this;
  }

  off<E extends ExecutorEventName>(event: E, listener: Listener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /**
   * Runs the workflow. Resolves with the {@link RunResult} when every task completed;
   * rejects with WorkflowFailedError (carrying it) when a task failed, and with
   * WorkflowCancelledError when `signal` stopped the run.
   *
   * Called from a workflow module's own code while a ThreadedExecutor worker imports it,
   * it runs nothing and touches no store: it resolves at once with a result whose tasks
   * are all `SKIPPED` (status `COMPLETED`, empty `runId`). Calls from inside a task run.
   */
  async execute(workflow: Workflow, options: ExecuteOptions = {}): Promise<RunResult> {
    if (!(workflow instanceof Workflow)) {
      throw new ConfigurationError(`execute() takes a Workflow; got ${show(workflow)}.`);
    }
    const { signal, params, runKey, failFast } = readExecuteOptions(options);
    // A worker thread imports the workflow's module to find its tasks; a module that also
    // runs the workflow at its top level must not run it again there (see marker.ts).
    if (isWorkerModuleCode()) return skippedInWorker(workflow, runKey);
    if (workflow._executing) throw new WorkflowBusyError(workflow.name);
    workflow._executing = true;
    const store = this.stateStore ?? new MemoryStateStore();
    try {
      return await runWorkflow(workflow, {
        runner: this.runner,
        store,
        logger: this.logger,
        events: this.#events,
        signal,
        params,
        runKey,
        failFast,
      });
    } finally {
      workflow._executing = false;
      if (!this.stateStore) await store.close();
    }
  }

  /** Releases what the executor holds (threads, connections). Does not close the store. */
  async close(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

const EXECUTE_OPTIONS: readonly string[] = ["signal", "params", "runKey", "failFast"];

function readExecuteOptions(options: unknown): {
  signal: AbortSignal | undefined;
  params: Readonly<Record<string, unknown>>;
  runKey: string;
  failFast: boolean;
} {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new ConfigurationError(
      `execute(workflow, options): options must be an object { signal?, params?, runKey?, failFast? }; got ${show(options)}.`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!EXECUTE_OPTIONS.includes(key)) {
      throw new ConfigurationError(
        `execute(workflow, options): unknown option "${key}". Known options: ${EXECUTE_OPTIONS.join(", ")}.`,
      );
    }
  }
  const { signal, params, runKey, failFast } = options as Record<string, unknown>;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ConfigurationError(
      `execute option "signal" must be an AbortSignal; got ${show(signal)}.`,
    );
  }
  if (
    params !== undefined &&
    (typeof params !== "object" || params === null || Array.isArray(params))
  ) {
    throw new ConfigurationError(`execute option "params" must be an object; got ${show(params)}.`);
  }
  if (runKey !== undefined && (typeof runKey !== "string" || runKey === "")) {
    throw new ConfigurationError(
      `execute option "runKey" must be a non-empty string such as "2026-11-25"; got ${show(runKey)}.`,
    );
  }
  if (failFast !== undefined && typeof failFast !== "boolean") {
    throw new ConfigurationError(
      `execute option "failFast" must be true or false; got ${show(failFast)}.`,
    );
  }
  return {
    signal: signal as AbortSignal | undefined,
    params: Object.freeze({ ...(params as Record<string, unknown> | undefined) }),
    runKey: (runKey as string | undefined) ?? "default",
    failFast: (failFast as boolean | undefined) ?? false,
  };
}

/** The option names every executor takes; subclasses add their own. */
export const EXECUTOR_OPTIONS: readonly string[] = ["stateStore", "logger"];

/**
 * Refuses option names the executor does not know, so a typo such as `maxConcurent`
 * fails loudly instead of silently running with the default.
 */
export function refuseUnknownOptions(
  kind: string,
  options: unknown,
  known: readonly string[],
): void {
  if (typeof options !== "object" || options === null) return;
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigurationError(
        `${kind}: unknown option "${key}". Known options: ${known.join(", ")}.`,
      );
    }
  }
}

/** Reads a whole-number option >= 1, or throws naming it. */
export function readConcurrency(
  kind: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new ConfigurationError(
      `${kind} option "${option}" must be a whole number >= 1; got ${show(value)}.`,
    );
  }
  return value;
}

function isStateStore(value: unknown): value is StateStore {
  const store = value as Partial<StateStore> | null;
  return (
    typeof store === "object" &&
    store !== null &&
    typeof store.commit === "function" &&
    typeof store.loadTaskStates === "function" &&
    typeof store.acquireLock === "function"
  );
}

function isLogger(value: unknown): value is Logger {
  const logger = value as Partial<Logger> | null;
  return (
    typeof logger === "object" &&
    logger !== null &&
    typeof logger.debug === "function" &&
    typeof logger.info === "function" &&
    typeof logger.warn === "function" &&
    typeof logger.error === "function"
  );
}
