import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { LiveValue, StateStore, StoredTaskState, TaskStateWrite } from "../stores/store.js";
import { CommitQueue } from "./commit-queue.js";
import {
  FlowWeaverError,
  NON_RETRYABLE_CODES,
  serializeError,
  TaskTimeoutError,
  toError,
  WorkflowCancelledError,
  WorkflowFailedError,
} from "./errors.js";
import {
  type ExecutorEvents,
  guard,
  type RunResult,
  type SafeEmitter,
  type TaskSummary,
} from "./events.js";
import type { CompiledGraph } from "./graph.js";
import { type Logger, taskLogger } from "./logger.js";
import { ReadyQueue } from "./ready-queue.js";
import { encodeValue } from "./serialization.js";
import { type AnyTask, type TaskContext, type TaskDefinition, TaskStatus } from "./task.js";
import { retryDelayMs } from "./task-options.js";
import type { Workflow } from "./workflow.js";

/** One attempt of one task, as an executor receives it. */
export interface AttemptRequest {
  readonly workflow: Workflow;
  readonly task: TaskDefinition<never, unknown>;
  /** Dependencies' results by task name. */
  readonly inputs: Record<string, unknown>;
  readonly ctx: TaskContext;
  /**
   * Starts the attempt's timeout clock. Runners that declare `armsTimeout` call it when
   * the task function really starts (after a worker imported its module); for the others
   * the clock starts as the attempt is handed over.
   */
  readonly armTimeout: () => void;
}

/**
 * Where attempts run: the one thing an executor decides. Everything else (order, retries,
 * timeouts, statuses, callbacks, events, store writes) belongs to the scheduler.
 */
export interface AttemptRunner {
  /** How many attempts may be in flight at once. */
  readonly concurrency: number;
  /** True when the runner calls `request.armTimeout()` itself. */
  readonly armsTimeout?: boolean;
  /** Called before a run starts, to check the workflow can be run here (or fail clearly). */
  prepare?(workflow: Workflow): Promise<void>;
  /**
   * Runs one attempt: resolves with the task's result or rejects with its error. The
   * scheduler stops waiting at a timeout or cancellation (`ctx.signal` aborts); a runner
   * that can stop the work for real (a worker thread) does so then.
   */
  runAttempt(request: AttemptRequest): Promise<unknown>;
}

export interface RunSettings {
  readonly runner: AttemptRunner;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly events: SafeEmitter;
  readonly signal: AbortSignal | undefined;
  readonly params: Readonly<Record<string, unknown>>;
  readonly runKey: string;
  readonly failFast: boolean;
}

// Per-task state codes in the scheduler's flat arrays.
const PENDING = 0;
const RUNNING = 1;
const COMPLETED = 2;
const FAILED = 3;
const SKIPPED = 4;

/**
 * Runs a workflow: the scheduler core shared by every executor. The DAG is walked through
 * a ready queue with counters per task, in O(tasks + edges); a completion reaches its
 * dependents, and frees its slot, only once the store has committed it.
 */
export async function runWorkflow(workflow: Workflow, settings: RunSettings): Promise<RunResult> {
  const graph = workflow._compile();
  const run = new Run(workflow, graph, settings);
  return run.execute();
}

class Run {
  readonly #workflow: Workflow;
  readonly #graph: CompiledGraph;
  readonly #s: RunSettings;
  readonly #nodes: readonly AnyTask[];
  readonly #runId = randomUUID();
  readonly #controller = new AbortController();
  readonly #commits: CommitQueue;
  readonly #ready: ReadyQueue;
  readonly #state: Uint8Array;
  /** Dependencies not yet finished, per task. */
  readonly #waiting: Int32Array;
  /** Dependencies that failed or were skipped, per task. */
  readonly #broken: Int32Array;
  /** Dependents not yet finished, per task: at 0 a stored result may leave memory. */
  readonly #openDependents: Int32Array;
  readonly #stored: (StoredTaskState | undefined)[];
  /** Tasks waiting to retry (in the ready queue or on a delay timer). */
  readonly #retrying = new Set<number>();
  readonly #retryTimers = new Map<number, NodeJS.Timeout>();
  readonly #running = new Map<number, (error: Error) => void>();
  #inFlight = 0;
  #finished = 0;
  #stopping: "cancelled" | "failFast" | "fatal" | undefined;
  #cancelReason: unknown;
  #fatal: unknown;
  #startedAt = new Date();
  #done!: () => void;
  readonly #allDone = new Promise<void>((resolve) => {
    this.#done = resolve;
  });

  constructor(workflow: Workflow, graph: CompiledGraph, settings: RunSettings) {
    this.#workflow = workflow;
    this.#graph = graph;
    this.#s = settings;
    this.#nodes = workflow.tasks;
    const size = graph.size;
    this.#ready = new ReadyQueue(Math.min(size, 1024));
    this.#state = new Uint8Array(size);
    this.#waiting = new Int32Array(size);
    this.#broken = new Int32Array(size);
    this.#openDependents = new Int32Array(size);
    this.#stored = new Array(size);
    this.#commits = new CommitQueue(settings.store, (error) => this.#stop("fatal", error));
    setMaxListeners(0, this.#controller.signal);
  }

  async execute(): Promise<RunResult> {
    const { store, runner, signal, runKey, logger, events } = this.#s;
    const workflow = this.#workflow;
    const lock = await store.acquireLock(workflow.name, {
      runId: this.#runId,
      pid: process.pid,
      host: hostname(),
    });
    const onAbort = () => this.#stop("cancelled", signal?.reason);
    try {
      await runner.prepare?.(workflow);
      const stored = await store.loadTaskStates(workflow.name, runKey);
      this.#startedAt = new Date();
      this.#restore(stored);
      this.#commits.addRun({
        runId: this.#runId,
        workflow: workflow.name,
        runKey,
        status: "RUNNING",
        startedAt: this.#startedAt.getTime(),
        finishedAt: undefined,
        error: undefined,
      });
      await this.#commits.drain();
      events.emit("run:start", this.#runEvent(), logger);
      if (signal?.aborted) this.#stop("cancelled", signal.reason);
      else signal?.addEventListener("abort", onAbort, { once: true });
      this.#pump();
      if (this.#finished < this.#graph.size) await this.#allDone;
      try {
        await this.#commits.drain();
      } catch {
        // Already recorded as the fatal error of the run.
      }
      return await this.#finish();
    } finally {
      signal?.removeEventListener("abort", onAbort);
      for (const timer of this.#retryTimers.values()) clearTimeout(timer);
      await lock.release().catch((error: unknown) => {
        logger.warn({ error }, `could not release the store lock of workflow "${workflow.name}"`);
      });
    }
  }

  /** Marks stored completions as done, unless stale (another version) or downstream of a stale one. */
  #restore(stored: Map<string, StoredTaskState>): void {
    const { size, depStart, deps, dependentStart } = this.#graph;
    const order = topologicalOrder(this.#graph);
    for (let i = 0; i < size; i++) {
      const node = this.#nodes[i] as AnyTask;
      node._reset();
      this.#waiting[i] = (depStart[i + 1] as number) - (depStart[i] as number);
      this.#openDependents[i] = (dependentStart[i + 1] as number) - (dependentStart[i] as number);
    }
    for (const i of order) {
      const node = this.#nodes[i] as AnyTask;
      const record = stored.get(node.name);
      if (record?.status !== "COMPLETED") continue;
      if (record.version !== node.definition.options.version) continue;
      let depsRestored = true;
      for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
        if (this.#state[deps[k] as number] !== COMPLETED) depsRestored = false;
      }
      if (!depsRestored) continue;
      this.#stored[i] = record;
      this.#state[i] = COMPLETED;
      this.#finished++;
      const st = node._state;
      st.status = TaskStatus.COMPLETED;
      st.restored = true;
      st.attempts = record.attempts;
      st.duration = record.duration;
      st.startedAt = record.startedAt === undefined ? undefined : new Date(record.startedAt);
      st.finishedAt = record.finishedAt === undefined ? undefined : new Date(record.finishedAt);
      st.loadResult = this.#resultLoader(node.name);
      this.#forEachDependent(i, (j) => {
        (this.#waiting[j] as number)--;
      });
    }
    for (let i = 0; i < size; i++) {
      if (this.#state[i] === PENDING && this.#waiting[i] === 0) this.#ready.push(i);
    }
  }

  #resultLoader(name: string): (() => unknown) | undefined {
    const { store, runKey } = this.#s;
    const read = store.readResultSync;
    if (!read) return undefined;
    const workflow = this.#workflow.name;
    return () => read.call(store, workflow, runKey, name);
  }

  /** Starts ready tasks while there are free slots. */
  #pump(): void {
    const limit = this.#s.runner.concurrency;
    while (this.#stopping === undefined && this.#inFlight < limit && this.#ready.size > 0) {
      const i = this.#ready.pop();
      this.#retrying.delete(i);
      this.#inFlight++;
      void this.#attempt(i);
    }
    if (this.#finished === this.#graph.size) this.#done();
  }

  async #attempt(i: number): Promise<void> {
    const node = this.#nodes[i] as AnyTask;
    const st = node._state;
    const definition = node.definition;
    const options = definition.options;
    const attempt = ++st.attempts;
    const startedAt = Date.now();
    if (attempt === 1) {
      st.startedAt = new Date(startedAt);
      st.status = TaskStatus.RUNNING;
      this.#state[i] = RUNNING;
    }
    this.#commits.addTaskState(this.#stateWrite(node, "RUNNING"));
    this.#commits.addAttempt(this.#attemptRecord(node, attempt, "RUNNING", startedAt, undefined));
    const { logger, events } = this.#s;
    if (attempt === 1 && options.callbacks.onStart) {
      const onStart = options.callbacks.onStart;
      guard(logger, `onStart callback of task "${node.name}"`, () => onStart(node));
    }
    events.emit("task:start", this.#taskEvent(node, attempt), logger);

    // Settles the attempt once: with its outcome, or at timeout or cancellation, without
    // waiting for a task that ignores its signal.
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let controller: AbortController | undefined;
    const runSignal = this.#controller.signal;
    const onRunAbort = () => controller?.abort(runSignal.reason);
    const outcome = new Promise<{ ok: true; value: unknown } | { ok: false; error: Error }>(
      (resolve) => {
        const settle = (result: { ok: true; value: unknown } | { ok: false; error: Error }) => {
          if (settled) return;
          settled = true;
          if (timer) clearTimeout(timer);
          runSignal.removeEventListener("abort", onRunAbort);
          this.#running.delete(i);
          resolve(result);
        };
        this.#running.set(i, (error) => settle({ ok: false, error }));
        // An onStart callback or task:start listener may have stopped the run while this
        // attempt was announced: it ends cancelled, without running.
        if (this.#stopping !== undefined) {
          settle({ ok: false, error: this.#cancelledError(i) });
          return;
        }
        let signal = runSignal;
        if (options.timeoutMs !== undefined) {
          controller = new AbortController();
          signal = controller.signal;
          runSignal.addEventListener("abort", onRunAbort, { once: true });
        }
        const timeoutMs = options.timeoutMs;
        const armTimeout = () => {
          if (timeoutMs === undefined || settled || timer) return;
          timer = setTimeout(() => {
            const error = new TaskTimeoutError(node.name, timeoutMs, attempt);
            controller?.abort(error);
            settle({ ok: false, error });
          }, timeoutMs);
        };
        if (!this.#s.runner.armsTimeout) armTimeout();
        this.#inputsOf(i)
          .then((inputs) => {
            if (settled) return undefined;
            const ctx: TaskContext = {
              signal,
              attempt,
              taskName: node.name,
              workflowName: this.#workflow.name,
              runId: this.#runId,
              runKey: this.#s.runKey,
              params: this.#s.params,
              log: taskLogger(logger, {
                runId: this.#runId,
                workflow: this.#workflow.name,
                task: node.name,
                attempt,
              }),
            };
            return this.#s.runner.runAttempt({
              workflow: this.#workflow,
              task: definition as TaskDefinition<never, unknown>,
              inputs,
              ctx,
              armTimeout,
            });
          })
          .then(
            (value) => settle({ ok: true, value }),
            (error: unknown) => settle({ ok: false, error: toError(error) }),
          );
      },
    );
    const result = await outcome;
    if (result.ok) this.#succeeded(i, attempt, startedAt, result.value);
    else this.#attemptFailed(i, attempt, startedAt, result.error);
  }

  async #inputsOf(i: number): Promise<Record<string, unknown>> {
    const { depStart, deps } = this.#graph;
    const inputs: Record<string, unknown> = {};
    for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
      const d = deps[k] as number;
      const dep = this.#nodes[d] as AnyTask;
      const st = dep._state;
      inputs[dep.name] = st.hasResult
        ? st.result
        : await this.#s.store.loadResult(this.#workflow.name, this.#s.runKey, dep.name);
    }
    return inputs;
  }

  #succeeded(i: number, attempt: number, startedAt: number, value: unknown): void {
    const node = this.#nodes[i] as AnyTask;
    const { store } = this.#s;
    let result: TaskStateWrite["result"];
    if (store.persistent) {
      try {
        result = encodeValue(value, `result of task "${node.name}"`, node.name);
      } catch (error) {
        this.#attemptFailed(i, attempt, startedAt, toError(error));
        return;
      }
    } else {
      result = { kind: "live", value } satisfies LiveValue;
    }
    const st = node._state;
    const finishedAt = Date.now();
    st.result = value;
    st.hasResult = true;
    st.finishedAt = new Date(finishedAt);
    st.duration = (finishedAt - (st.startedAt as Date).getTime()) / 1000;
    this.#commits.addTaskState({ ...this.#stateWrite(node, "COMPLETED"), result });
    this.#commits.addAttempt(
      this.#attemptRecord(node, attempt, "COMPLETED", startedAt, finishedAt),
    );
    this.#commits.afterCommit(() => {
      st.status = TaskStatus.COMPLETED;
      this.#state[i] = COMPLETED;
      this.#inFlight--;
      const onComplete = node.definition.options.callbacks.onComplete;
      const { logger, events } = this.#s;
      if (onComplete)
        guard(logger, `onComplete callback of task "${node.name}"`, () => onComplete(node));
      events.emit("task:complete", this.#taskEvent(node, attempt), logger);
      this.#settle(i);
      this.#pump();
    });
  }

  #attemptFailed(i: number, attempt: number, startedAt: number, error: Error): void {
    const node = this.#nodes[i] as AnyTask;
    const options = node.definition.options;
    const finishedAt = Date.now();
    const { logger, events } = this.#s;
    this.#commits.addAttempt(
      this.#attemptRecord(node, attempt, "FAILED", startedAt, finishedAt, error),
    );
    if (
      this.#stopping === undefined &&
      attempt <= options.retries &&
      this.#retryable(node, error)
    ) {
      this.#inFlight--;
      const nextAttempt = attempt + 1;
      // Registered as retrying before user code hears of it, so a stop raised by an
      // onRetry callback or task:retry listener finds it and ends it as cancelled.
      const delay = retryDelayMs(options, nextAttempt);
      this.#retrying.add(i);
      if (delay <= 0) {
        this.#ready.push(i);
      } else {
        this.#retryTimers.set(
          i,
          setTimeout(() => {
            this.#retryTimers.delete(i);
            if (this.#stopping === undefined) {
              this.#ready.push(i);
              this.#pump();
            }
          }, delay),
        );
      }
      const onRetry = options.callbacks.onRetry;
      if (onRetry) {
        guard(logger, `onRetry callback of task "${node.name}"`, () =>
          onRetry(node, error, nextAttempt),
        );
      }
      events.emit("task:retry", { ...this.#taskEvent(node, nextAttempt), error }, logger);
      this.#pump();
      return;
    }
    this.#failed(i, error, true);
  }

  /** A task failed for good: record it, then tell its dependents once it is stored. */
  #failed(i: number, error: Error, holdsSlot: boolean): void {
    const node = this.#nodes[i] as AnyTask;
    const st = node._state;
    const finishedAt = Date.now();
    st.error = error;
    st.finishedAt = new Date(finishedAt);
    st.duration = st.startedAt ? (finishedAt - st.startedAt.getTime()) / 1000 : undefined;
    st.status = TaskStatus.FAILED;
    this.#state[i] = FAILED;
    this.#commits.addTaskState(this.#stateWrite(node, "FAILED"));
    this.#commits.afterCommit(() => {
      if (holdsSlot) this.#inFlight--;
      const { logger, events } = this.#s;
      const onError = node.definition.options.callbacks.onError;
      if (onError)
        guard(logger, `onError callback of task "${node.name}"`, () => onError(node, error));
      events.emit("task:error", { ...this.#taskEvent(node, st.attempts), error }, logger);
      this.#settle(i);
      if (this.#s.failFast && this.#stopping === undefined) this.#stop("failFast", error);
      this.#pump();
    });
  }

  #retryable(node: AnyTask, error: Error): boolean {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && NON_RETRYABLE_CODES.has(code)) return false;
    if (error.name === "NonRetryableError") return false;
    const retryOn = node.definition.options.retryOn;
    if (!retryOn) return true;
    try {
      return retryOn(error) === true;
    } catch (thrown) {
      this.#s.logger.warn(
        { task: node.name, error: thrown },
        `retryOn of task "${node.name}" threw; not retrying`,
      );
      return false;
    }
  }

  /**
   * Task i reached a final state: update its dependents (ready, or skipped under the
   * all-success rule) and let results nobody needs any more leave memory.
   */
  #settle(i: number): void {
    const stack = [i];
    while (stack.length > 0) {
      const t = stack.pop() as number;
      this.#finished++;
      const ok = this.#state[t] === COMPLETED;
      const { depStart, deps } = this.#graph;
      for (let k = depStart[t] as number; k < (depStart[t + 1] as number); k++) {
        const d = deps[k] as number;
        if (--(this.#openDependents[d] as number) === 0) this.#release(d);
      }
      if (ok && this.#openDependents[t] === 0) this.#release(t);
      this.#forEachDependent(t, (j) => {
        (this.#waiting[j] as number)--;
        if (!ok) (this.#broken[j] as number)++;
        if (this.#state[j] !== PENDING) return;
        // Trigger rule "all success": the only rule for now, so it lives here.
        if ((this.#broken[j] as number) > 0) {
          this.#skip(j);
          stack.push(j);
        } else if (this.#waiting[j] === 0 && this.#stopping === undefined) {
          this.#ready.push(j);
        }
      });
    }
  }

  #skip(j: number): void {
    const node = this.#nodes[j] as AnyTask;
    node._state.status = TaskStatus.SKIPPED;
    this.#state[j] = SKIPPED;
    this.#commits.addTaskState(this.#stateWrite(node, "SKIPPED"));
  }

  /** Lets a stored result leave memory; `task.result` reads it back from the store. */
  #release(i: number): void {
    const { store } = this.#s;
    if (!store.persistent || !store.readResultSync || this.#state[i] !== COMPLETED) return;
    const st = (this.#nodes[i] as AnyTask)._state;
    if (!st.hasResult) return;
    st.hasResult = false;
    st.result = undefined;
    st.loadResult = this.#resultLoader((this.#nodes[i] as AnyTask).name);
  }

  #forEachDependent(i: number, visit: (j: number) => void): void {
    const { dependentStart, dependents } = this.#graph;
    for (let k = dependentStart[i] as number; k < (dependentStart[i + 1] as number); k++) {
      visit(dependents[k] as number);
    }
  }

  /** Stops the run: nothing new starts, running attempts are aborted and fail as cancelled. */
  #stop(kind: "cancelled" | "failFast" | "fatal", reason: unknown): void {
    if (this.#stopping !== undefined) {
      if (kind === "fatal" && this.#fatal === undefined) this.#fatal = reason;
      return;
    }
    this.#stopping = kind;
    if (kind === "fatal") this.#fatal = reason;
    if (kind === "cancelled") this.#cancelReason = reason;
    this.#ready.clear();
    for (const i of this.#retrying) {
      clearTimeout(this.#retryTimers.get(i));
      this.#failed(i, this.#cancelledError(i), false);
    }
    this.#retrying.clear();
    this.#retryTimers.clear();
    for (let i = 0; i < this.#graph.size; i++) {
      if (this.#state[i] === PENDING) {
        this.#skip(i);
        this.#finished++;
      }
    }
    this.#controller.abort(reason);
    for (const [i, fail] of [...this.#running]) fail(this.#cancelledError(i));
    if (kind === "fatal") {
      // Nothing more can be stored: settle what is left so the run can end.
      this.#done();
    }
    this.#pump();
  }

  #cancelledError(i: number): Error {
    const name = (this.#nodes[i] as AnyTask).name;
    const why =
      this.#stopping === "failFast"
        ? "another task failed and failFast is on"
        : this.#stopping === "fatal"
          ? "the state store failed"
          : "the run was cancelled";
    return new FlowWeaverError(`Task "${name}" was stopped: ${why}.`, {
      code: "CANCELLED",
      taskName: name,
      runId: this.#runId,
    });
  }

  async #finish(): Promise<RunResult> {
    const finishedAt = new Date();
    const tasks: Record<string, TaskSummary> = {};
    const failed: string[] = [];
    for (const node of this.#nodes) {
      const st = node._state;
      if (st.status === TaskStatus.FAILED) failed.push(node.name);
      tasks[node.name] = {
        status: st.status,
        attempts: st.attempts,
        duration: st.duration,
        error: st.error,
        restored: st.restored,
      };
    }
    const status =
      this.#stopping === "cancelled"
        ? "CANCELLED"
        : failed.length > 0 || this.#fatal !== undefined
          ? "FAILED"
          : "COMPLETED";
    const result: RunResult = {
      runId: this.#runId,
      workflow: this.#workflow.name,
      runKey: this.#s.runKey,
      status,
      tasks,
      startedAt: this.#startedAt,
      finishedAt,
      duration: (finishedAt.getTime() - this.#startedAt.getTime()) / 1000,
    };
    const error =
      this.#fatal !== undefined
        ? toError(this.#fatal)
        : status === "CANCELLED"
          ? new WorkflowCancelledError(result, this.#cancelReason)
          : status === "FAILED"
            ? new WorkflowFailedError(result, failed)
            : undefined;
    if (this.#fatal === undefined) {
      this.#commits.addRun({
        runId: this.#runId,
        workflow: this.#workflow.name,
        runKey: this.#s.runKey,
        status,
        startedAt: this.#startedAt.getTime(),
        finishedAt: finishedAt.getTime(),
        error: error ? serializeError(error) : undefined,
      });
      await this.#commits.drain();
    }
    this.#s.events.emit("run:finish", { ...this.#runEvent(), result }, this.#s.logger);
    if (error) throw error;
    return result;
  }

  #stateWrite(node: AnyTask, status: TaskStateWrite["status"]): TaskStateWrite {
    const st = node._state;
    return {
      workflow: this.#workflow.name,
      runKey: this.#s.runKey,
      task: node.name,
      status,
      runId: this.#runId,
      attempts: st.attempts,
      startedAt: st.startedAt?.getTime(),
      finishedAt: status === "RUNNING" ? undefined : st.finishedAt?.getTime(),
      duration: status === "RUNNING" ? undefined : st.duration,
      version: node.definition.options.version,
      error: status === "FAILED" && st.error ? serializeError(st.error) : undefined,
    };
  }

  #attemptRecord(
    node: AnyTask,
    attempt: number,
    status: "RUNNING" | "COMPLETED" | "FAILED",
    startedAt: number,
    finishedAt: number | undefined,
    error?: Error,
  ) {
    return {
      runId: this.#runId,
      workflow: this.#workflow.name,
      task: node.name,
      attempt,
      status,
      startedAt,
      finishedAt,
      error: error ? serializeError(error) : undefined,
    };
  }

  #runEvent(): ExecutorEvents["run:start"] {
    return { runId: this.#runId, workflow: this.#workflow.name, runKey: this.#s.runKey };
  }

  #taskEvent(node: AnyTask, attempt: number): ExecutorEvents["task:start"] {
    return { ...this.#runEvent(), task: node, attempt };
  }
}

/** Kahn's order over the compiled graph (the graph is known to be acyclic). */
function topologicalOrder(graph: CompiledGraph): Int32Array {
  const { size, depStart, dependentStart, dependents } = graph;
  const waiting = new Int32Array(size);
  const order = new Int32Array(size);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < size; i++) {
    waiting[i] = (depStart[i + 1] as number) - (depStart[i] as number);
    if (waiting[i] === 0) order[tail++] = i;
  }
  while (head < tail) {
    const i = order[head++] as number;
    for (let k = dependentStart[i] as number; k < (dependentStart[i + 1] as number); k++) {
      const j = dependents[k] as number;
      if (--(waiting[j] as number) === 0) order[tail++] = j;
    }
  }
  return order;
}
