import type { Duration } from "./duration.js";
import { show } from "./duration.js";
import { ConfigurationError } from "./errors.js";
import type { TaskLogger } from "./logger.js";
import { consoleTaskLogger } from "./logger.js";
import { type ResolvedTaskOptions, resolveTaskOptions } from "./task-options.js";

/** The states a task moves through. Each value is its own name. */
export const TaskStatus = {
  PENDING: "PENDING",
  RUNNING: "RUNNING",
  COMPLETED: "COMPLETED",
  FAILED: "FAILED",
  /** A dependency failed, or the run was cancelled before the task started. */
  SKIPPED: "SKIPPED",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** What a task function receives besides its inputs. */
export interface TaskContext {
  /** Aborted on timeout or run cancellation; pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  readonly taskName: string;
  readonly workflowName: string;
  readonly runId: string;
  /** The state partition of this run (`"default"` unless `execute` was given one). */
  readonly runKey: string;
  /** The `params` given to `execute`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** A logger tagged with the run, task and attempt. */
  readonly log: TaskLogger;
}

/** A task's function: its dependencies' results by name, and the context. */
export type TaskFn<I = unknown, R = unknown> = (inputs: I, ctx: TaskContext) => R | Promise<R>;

/** Per-task callbacks; their errors are logged and never change the task's outcome. */
export interface TaskCallbacks {
  onStart?(task: AnyTask): void | Promise<void>;
  onComplete?(task: AnyTask): void | Promise<void>;
  onError?(task: AnyTask, error: Error): void | Promise<void>;
  onRetry?(task: AnyTask, error: Error, nextAttempt: number): void | Promise<void>;
}

/** Options of a task; durations are seconds or strings like `"30s"`. */
export interface TaskOptions {
  /** The task's name, when the function has none (or to override it). */
  name?: string;
  /** Extra attempts after the first. @default 0 */
  retries?: number;
  /** Wait before a retry. @default 0 */
  retryDelay?: Duration;
  /** How the delay grows between retries. @default "fixed" */
  backoff?: "fixed" | "exponential";
  /** Cap for exponential backoff. */
  maxRetryDelay?: Duration;
  /** `true` for full jitter, or the fraction (0–1) of the delay to randomize. @default false */
  jitter?: boolean | number;
  /** Decides whether an error is worth a retry. @default every error but NonRetryableError */
  retryOn?: (error: Error) => boolean;
  /** Fails an attempt that runs longer than this with TaskTimeoutError. */
  timeout?: Duration;
  /** Change it when the task's logic changes: stored results of another version are stale. */
  version?: string | number;
  callbacks?: TaskCallbacks;
  description?: string;
}

/** The immutable part of a task: its name, function and resolved options. */
export interface TaskDefinition<I = unknown, R = unknown, N extends string = string> {
  readonly name: N;
  readonly fn: TaskFn<I, R>;
  readonly options: ResolvedTaskOptions;
}

/**
 * What `task()` returns: the plain function, callable directly for unit tests
 * (`await transform({ extract: rows })`), that also carries its task definition.
 */
export type TaskFunction<I = unknown, R = unknown, N extends string = string> = ((
  ...args: TaskCallArgs<I>
) => R | Promise<R>) & {
  readonly taskName: N;
  readonly definition: TaskDefinition<I, R, N>;
};

/** A task called directly: its inputs may be left out when it needs none. */
export type TaskCallArgs<I> =
  Record<never, never> extends I
    ? [inputs?: I, ctx?: Partial<TaskContext>]
    : [inputs: I, ctx?: Partial<TaskContext>];

/** Mutable per-run state of a task node, written only by the scheduler. @internal */
export interface TaskRuntimeState {
  status: TaskStatus;
  attempts: number;
  error: Error | undefined;
  /** Milliseconds since the epoch (Dates are made on demand by the getters). */
  startedAtMs: number | undefined;
  finishedAtMs: number | undefined;
  duration: number | undefined;
  restored: boolean;
  hasResult: boolean;
  result: unknown;
  /** Reads a result released from memory back from the store. */
  loadResult: (() => unknown) | undefined;
}

const TASK_BRAND = Symbol.for("flowweaver.task");

/**
 * A task node: a task definition plus the state of its last run in a workflow.
 *
 * @example
 * const fetch = new Task("fetch_raw_customer_data", fetchFn, { retries: 2 });
 * wf.addTask(fetch);
 */
export class Task<I = unknown, R = unknown, N extends string = string> {
  /** Holds for task nodes of any copy of flowweaver in the process (see Workflow). */
  static [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as { [TASK_BRAND]?: unknown })[TASK_BRAND] === true
    );
  }

  /** @internal */
  get [TASK_BRAND](): true {
    return true;
  }

  readonly definition: TaskDefinition<I, R, N>;
  /** @internal */
  readonly _state: TaskRuntimeState = freshState();
  /** @internal The workflow this node belongs to. */
  _owner: object | undefined;

  constructor(name: N, fn: TaskFn<I, R>, options?: TaskOptions);
  constructor(definition: TaskDefinition<I, R, N>);
  constructor(
    nameOrDefinition: N | TaskDefinition<I, R, N>,
    fn?: TaskFn<I, R>,
    options?: TaskOptions,
  ) {
    if (typeof nameOrDefinition === "object" && nameOrDefinition !== null) {
      this.definition = nameOrDefinition;
    } else {
      this.definition = defineTask(nameOrDefinition, fn, options, "new Task()");
    }
  }

  get name(): N {
    return this.definition.name;
  }
  get description(): string | undefined {
    return this.definition.options.description;
  }
  get status(): TaskStatus {
    return this._state.status;
  }
  /** Attempts made in the last run (or the stored count, when restored). */
  get attempts(): number {
    return this._state.attempts;
  }
  get error(): Error | undefined {
    return this._state.error;
  }
  get startedAt(): Date | undefined {
    const ms = this._state.startedAtMs;
    return ms === undefined ? undefined : new Date(ms);
  }
  get finishedAt(): Date | undefined {
    const ms = this._state.finishedAtMs;
    return ms === undefined ? undefined : new Date(ms);
  }
  /** Seconds from the first attempt's start to the end of the last. */
  get duration(): number | undefined {
    return this._state.duration;
  }
  /** True when the last run took this task's completion from the store instead of running it. */
  get restored(): boolean {
    return this._state.restored;
  }
  /** The task's result; read back from the store when it was released from memory. */
  get result(): R | undefined {
    const state = this._state;
    if (state.hasResult) return state.result as R;
    if (state.loadResult && state.status === TaskStatus.COMPLETED) {
      return state.loadResult() as R;
    }
    return undefined;
  }

  /** Runs the plain function, as a unit test would. */
  run(...[inputs, ctx]: TaskCallArgs<I>): R | Promise<R> {
    return this.definition.fn((inputs ?? {}) as I, standaloneContext(this.name, ctx));
  }

  /** @internal Resets the node before a run. */
  _reset(): void {
    const st = this._state;
    st.status = TaskStatus.PENDING;
    st.attempts = 0;
    st.error = undefined;
    st.startedAtMs = undefined;
    st.finishedAtMs = undefined;
    st.duration = undefined;
    st.restored = false;
    st.hasResult = false;
    st.result = undefined;
    st.loadResult = undefined;
  }
}

/** Any task node, whatever its inputs and result. */
export type AnyTask = Task<never, unknown, string>;

/** A task node or a callable made by `task()`: anything `addTask` and `dependsOn` accept. */
export type TaskLike<I = unknown, R = unknown, N extends string = string> =
  | Task<I, R, N>
  | TaskFunction<I, R, N>;

/**
 * Defines a task. The name comes from the function's own name, or is given first.
 * The result is the function itself, still callable, carrying the task definition.
 *
 * @example
 * const extract = task(async function extract_from_crm() { return fetchCrm(); });
 * const validate = task("validate_records",
 *   async ({ extract_from_crm }: { extract_from_crm: Row[] }) => check(extract_from_crm),
 *   { retries: 3, timeout: "30s" });
 */
export function task<I = unknown, R = unknown>(
  fn: TaskFn<I, R>,
  options?: TaskOptions,
): TaskFunction<I, R, string>;
export function task<const N extends string, I = unknown, R = unknown>(
  name: N,
  fn: TaskFn<I, R>,
  options?: TaskOptions,
): TaskFunction<I, R, N>;
export function task(
  nameOrFn: unknown,
  fnOrOptions?: unknown,
  maybeOptions?: unknown,
): TaskFunction<unknown, unknown, string> {
  let name: unknown;
  let fn: unknown;
  let options: unknown;
  if (typeof nameOrFn === "function") {
    fn = nameOrFn;
    options = fnOrOptions;
    const optName = (options as TaskOptions | undefined)?.name;
    name = optName ?? (nameOrFn.name === "" ? undefined : nameOrFn.name);
    if (name === undefined) {
      throw new ConfigurationError(
        "task(fn) needs a name: give the function a name (`async function extract() {…}`), pass `{ name }` in the options, or call task(name, fn).",
      );
    }
  } else {
    name = nameOrFn;
    fn = fnOrOptions;
    options = maybeOptions;
  }
  const definition = defineTask(name, fn, options, "task()");
  const taskFn = definition.fn;
  // Read the task's name from `taskName`: redefining the function's own `name` would cost
  // more than the rest of defining a task, and large workflows define many.
  const callable = (inputs?: unknown, ctx?: Partial<TaskContext>) =>
    taskFn(inputs ?? {}, standaloneContext(definition.name, ctx));
  const typed = callable as unknown as { taskName: string; definition: TaskDefinition };
  typed.taskName = definition.name;
  typed.definition = definition;
  return callable as unknown as TaskFunction<unknown, unknown, string>;
}

function defineTask<I, R, N extends string>(
  name: unknown,
  fn: unknown,
  options: unknown,
  where: string,
): TaskDefinition<I, R, N> {
  if (typeof name !== "string" || name.trim() === "") {
    throw new ConfigurationError(
      `${where} needs a task name: a non-empty string; got ${show(name)}.`,
    );
  }
  if (typeof fn !== "function") {
    throw new ConfigurationError(
      `${where}: task "${name}" needs a function to run; got ${show(fn)}.`,
      { taskName: name },
    );
  }
  return Object.freeze({
    name: name as N,
    fn: fn as TaskFn<I, R>,
    options: resolveTaskOptions(name, options),
  });
}

/** Turns whatever `addTask`/`dependsOn` got into a task definition, or undefined. */
export function definitionOf(value: unknown): TaskDefinition | undefined {
  // Callables from task() first: they are the common case in large workflows.
  if (typeof value === "function") {
    const definition = (value as { definition?: unknown }).definition;
    if (definition && typeof definition === "object" && "fn" in definition) {
      return definition as TaskDefinition;
    }
    return undefined;
  }
  if (value instanceof Task) return value.definition as TaskDefinition;
  return undefined;
}

const NEVER_ABORTED = new AbortController().signal;

function standaloneContext(taskName: string, ctx: Partial<TaskContext> | undefined): TaskContext {
  return {
    signal: NEVER_ABORTED,
    attempt: 1,
    taskName,
    workflowName: "",
    runId: "",
    runKey: "default",
    params: {},
    log: consoleTaskLogger,
    ...ctx,
  };
}

function freshState(): TaskRuntimeState {
  return {
    status: TaskStatus.PENDING,
    attempts: 0,
    error: undefined,
    startedAtMs: undefined,
    finishedAtMs: undefined,
    duration: undefined,
    restored: false,
    hasResult: false,
    result: undefined,
    loadResult: undefined,
  };
}
