/**
 * FlowWeaver's errors. Every error has a string `code`; identity survives threads and
 * queues because errors are rebuilt from `{ name, code, message, stack }` on arrival
 * (see {@link serializeError} / {@link deserializeError}), so check `name` or `code`,
 * or use the `is…` helpers, rather than `instanceof` across thread boundaries.
 */

/** The base of every error FlowWeaver throws. */
export class FlowWeaverError extends Error {
  /** A stable, machine-readable code such as `CYCLE_DETECTED` or `TASK_TIMEOUT`. */
  readonly code: string;
  /** The task the error concerns, when there is one. */
  readonly taskName: string | undefined;
  /** The run the error happened in, when there is one. */
  readonly runId: string | undefined;

  constructor(
    message: string,
    options: { code?: string; taskName?: string; runId?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? "FLOWWEAVER_ERROR";
    this.taskName = options.taskName;
    this.runId = options.runId;
  }
}

/** An option or argument is invalid; the message names it and shows the value given. */
export class ConfigurationError extends FlowWeaverError {
  constructor(
    message: string,
    options: { taskName?: string; code?: string; cause?: unknown } = {},
  ) {
    super(message, { code: "INVALID_CONFIGURATION", ...options });
  }
}

/** Two tasks with the same name were added to one workflow. */
export class DuplicateTaskError extends FlowWeaverError {
  constructor(workflow: string, taskName: string) {
    super(
      `Workflow "${workflow}" already has a task named "${taskName}": task names must be unique within a workflow. Rename one of them.`,
      { code: "DUPLICATE_TASK", taskName },
    );
  }
}

/** A task depends on a name that is not a task of the workflow. */
export class UnknownDependencyError extends FlowWeaverError {
  /** The dependency that could not be found. */
  readonly dependency: string;
  constructor(workflow: string, taskName: string, dependency: string) {
    super(
      `Task "${taskName}" in workflow "${workflow}" depends on "${dependency}", which is not a task of this workflow. Add it with addTask() or fix the name in dependsOn.`,
      { code: "UNKNOWN_DEPENDENCY", taskName },
    );
    this.dependency = dependency;
  }
}

/** The dependencies form a cycle. `cycle` lists it in run order, first name repeated last. */
export class CycleError extends FlowWeaverError {
  readonly cycle: readonly string[];
  constructor(workflow: string, cycle: readonly string[]) {
    super(
      `Workflow "${workflow}" has a dependency cycle: ${cycle.join(" → ")} (each task depends on the one before it). Remove one of these dependencies.`,
      { code: "CYCLE_DETECTED" },
    );
    this.cycle = cycle;
  }
}

/** A task attempt ran longer than its `timeout`. Retryable. */
export class TaskTimeoutError extends FlowWeaverError {
  constructor(taskName: string, timeoutMs: number, attempt: number) {
    super(`Task "${taskName}" timed out after ${formatMs(timeoutMs)} (attempt ${attempt}).`, {
      code: "TASK_TIMEOUT",
      taskName,
    });
  }
}

/** Throw this from a task to fail it at once, whatever retries it has left. */
export class NonRetryableError extends FlowWeaverError {
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, { code: "NON_RETRYABLE", ...options });
  }
}

/** A value could not be stored or sent faithfully; `path` says where inside it. */
export class SerializationError extends FlowWeaverError {
  readonly path: string;
  constructor(
    message: string,
    options: { taskName?: string; path?: string; cause?: unknown } = {},
  ) {
    super(message, { code: "SERIALIZATION_FAILED", ...options });
    this.path = options.path ?? "";
  }
}

/** Summary of a finished run, as `execute` resolves it and failures carry it. */
export interface RunResultLike {
  readonly runId: string;
  readonly workflow: string;
  readonly status: string;
}

/** A run ended with at least one failed task; `result` is the run's {@link RunResult}. */
export class WorkflowFailedError<R extends RunResultLike = RunResultLike> extends FlowWeaverError {
  readonly result: R;
  readonly failedTasks: readonly string[];
  constructor(result: R, failedTasks: readonly string[], cause?: unknown) {
    const list = failedTasks.map((t) => `"${t}"`).join(", ");
    super(
      `Workflow "${result.workflow}" failed: ${failedTasks.length} task${failedTasks.length === 1 ? "" : "s"} failed (${list}). Run id ${result.runId}.`,
      { code: "WORKFLOW_FAILED", runId: result.runId, cause },
    );
    this.result = result;
    this.failedTasks = failedTasks;
  }
}

/** A run was stopped through its `signal`; what finished was saved. */
export class WorkflowCancelledError<
  R extends RunResultLike = RunResultLike,
> extends FlowWeaverError {
  readonly result: R;
  constructor(result: R, reason?: unknown) {
    super(
      `Workflow "${result.workflow}" was cancelled (run id ${result.runId}). Completed tasks were saved; run it again to resume.`,
      { code: "WORKFLOW_CANCELLED", runId: result.runId, cause: reason },
    );
    this.result = result;
  }
}

/** `execute` was called on a workflow object that is already executing. */
export class WorkflowBusyError extends FlowWeaverError {
  constructor(workflow: string) {
    super(
      `Workflow "${workflow}" is already executing in this process: wait for that execute() to settle before starting another.`,
      { code: "WORKFLOW_BUSY" },
    );
  }
}

/** Another process (or execution) holds the store's lock for this workflow. */
export class StoreLockedError extends FlowWeaverError {
  readonly holder: string;
  constructor(message: string, holder: string) {
    super(message, { code: "STORE_LOCKED" });
    this.holder = holder;
  }
}

/** A store file is damaged or is not a FlowWeaver store. It is left untouched. */
export class StoreCorruptError extends FlowWeaverError {
  readonly location: string;
  constructor(location: string, detail: string) {
    super(
      `State store ${location} is corrupt or not a FlowWeaver store: ${detail}. It was left as it is; move it aside or point FlowWeaver at another file.`,
      { code: "STORE_CORRUPT" },
    );
    this.location = location;
  }
}

/** A store was written by a newer FlowWeaver schema than this version understands. */
export class StoreVersionError extends FlowWeaverError {
  readonly location: string;
  constructor(location: string, found: number, supported: number) {
    super(
      `State store ${location} has schema version ${found}, newer than the ${supported} this FlowWeaver understands. Upgrade flowweaver to read it; the store was left as it is.`,
      { code: "STORE_VERSION" },
    );
    this.location = location;
  }
}

/** Attempt errors whose `code` is one of these are never retried. */
export const NON_RETRYABLE_CODES: ReadonlySet<string> = new Set([
  "NON_RETRYABLE",
  "SERIALIZATION_FAILED",
  "CANCELLED",
]);

/** An error as it crosses threads, queues and stores. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
  readonly taskName?: string;
}

const ERROR_CLASSES: Record<string, new (...args: never[]) => FlowWeaverError> = {
  FlowWeaverError,
  ConfigurationError,
  DuplicateTaskError,
  UnknownDependencyError,
  CycleError,
  TaskTimeoutError,
  NonRetryableError,
  SerializationError,
  WorkflowFailedError,
  WorkflowCancelledError,
  WorkflowBusyError,
  StoreLockedError,
  StoreCorruptError,
  StoreVersionError,
};

/** Turns anything thrown into a plain record that survives structured clone and JSON. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const taskName = (error as { taskName?: unknown }).taskName;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === "string" ? { code } : {}),
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(typeof taskName === "string" ? { taskName } : {}),
    };
  }
  return { name: "Error", message: describeThrown(error) };
}

/**
 * Rebuilds an error from its serialized form, keeping its name, code, message and stack;
 * FlowWeaver's own classes come back as instances of themselves.
 */
export function deserializeError(data: SerializedError): Error {
  const Known = ERROR_CLASSES[data.name];
  const error: Error = Known ? (Object.create(Known.prototype) as Error) : new Error(data.message);
  Object.defineProperties(error, {
    name: { value: data.name, writable: true, configurable: true },
    message: { value: data.message, writable: true, configurable: true },
    stack: {
      value: data.stack ?? `${data.name}: ${data.message}`,
      writable: true,
      configurable: true,
    },
  });
  if (Known) {
    Object.defineProperty(error, "code", {
      value: data.code ?? "FLOWWEAVER_ERROR",
      enumerable: true,
    });
    Object.defineProperty(error, "taskName", { value: data.taskName, enumerable: true });
    Object.defineProperty(error, "runId", { value: undefined, enumerable: true });
  } else if (data.code !== undefined) {
    Object.defineProperty(error, "code", { value: data.code, enumerable: true, writable: true });
  }
  return error;
}

/** The `code` of any thrown value, if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** True when `error` is FlowWeaver's error named `name`, in this thread or rebuilt from another. */
export function isFlowWeaverError(error: unknown, name?: string): error is FlowWeaverError {
  if (!(error instanceof Error)) return false;
  if (name !== undefined) return error.name === name;
  return error instanceof FlowWeaverError || error.name in ERROR_CLASSES;
}

export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === "string") return value;
  try {
    return `non-Error value thrown: ${JSON.stringify(value) ?? String(value)}`;
  } catch {
    return `non-Error value thrown: ${String(value)}`;
  }
}

/** Turns anything thrown into an Error, so rejections are always Errors. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(describeThrown(value));
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(3).replace(/0+$/, "")}s`;
}
