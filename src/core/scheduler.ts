import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { AttemptRecord, StateStore, TaskStateWrite } from "../stores/store.js";
import { AttemptContext } from "./attempt-context.js";
import { AttemptTimeouts } from "./attempt-timeouts.js";
import { CommitQueue } from "./commit-queue.js";
import { COMPLETED, DagState, FAILED, RUNNING, type SettleListener } from "./dag-state.js";
import { FlowWeaverError, serializeError, TaskTimeoutError, toError } from "./errors.js";
import type { RunResult, SafeEmitter } from "./events.js";
import { guard } from "./events.js";
import type { CompiledGraph } from "./graph.js";
import { inputsOf } from "./inputs.js";
import type { Logger } from "./logger.js";
import type { ReadyQueue } from "./ready-queue.js";
import {
  loadRestoredResults,
  type ResultSource,
  restoreCompleted,
  resultLoader,
} from "./restore.js";
import { RunRecords } from "./run-records.js";
import { buildRunResult, type StopKind } from "./run-result.js";
import { type AttemptRequest, type AttemptRunner, isPromiseLike } from "./runner.js";
import { encodeValue } from "./serialization.js";
import { type AnyTask, type TaskDefinition, TaskStatus } from "./task.js";
import { isRetryable, retryDelayMs } from "./task-options.js";
import type { Workflow } from "./workflow.js";

export type { AttemptRequest, AttemptRunner } from "./runner.js";

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

const NO_TIMEOUT_TO_ARM = () => {};

/**
 * Runs a workflow: the scheduler core shared by every executor. The DAG is walked through
 * a ready queue with counters per task, in O(tasks + edges); a completion reaches its
 * dependents, and frees its slot, only once the store has committed it.
 */
export async function runWorkflow(workflow: Workflow, settings: RunSettings): Promise<RunResult> {
  const graph = workflow._compile();
  return new Run(workflow, graph, settings).execute();
}

class Run {
  readonly #workflow: Workflow;
  readonly #graph: CompiledGraph;
  readonly #s: RunSettings;
  readonly #nodes: readonly AnyTask[];
  readonly #runId = randomUUID();
  readonly #records: RunRecords;
  readonly #controller = new AbortController();
  readonly #runSignal = this.#controller.signal;
  /** For messages about a result that cannot be found. */
  readonly #where: { readonly storeLocation: string; readonly runId: string };
  /** Where released and restored results are read back from. */
  readonly #source: ResultSource;
  readonly #commits: CommitQueue;
  readonly #dag: DagState;
  readonly #ready: ReadyQueue;
  readonly #state: Uint8Array;
  readonly #settleListener: SettleListener = {
    skipped: (j) => this.#skipped(j),
    unneeded: (d) => this.#release(d),
  };
  /** The attempt number in flight per task (0 when none): late outcomes of others are ignored. */
  readonly #openAttempt: Int32Array;
  readonly #attemptStart: Float64Array;
  /** The attempt last recorded as RUNNING in the store, per task. */
  readonly #recordedStart: Int32Array;
  /** Whether a failed task still holds its slot until its failure is stored. */
  readonly #holdsSlot: Uint8Array;
  /** Attempts started since the last commit, to record as RUNNING if still running then. */
  #unrecordedStarts: number[] = [];
  readonly #timeouts = new AttemptTimeouts(this.#runSignal);
  /** Tasks waiting to retry (in the ready queue or on a delay timer). */
  readonly #retrying = new Set<number>();
  readonly #retryTimers = new Map<number, NodeJS.Timeout>();
  #inFlight = 0;
  /** Attempts started and not yet ended (in flight also counts ended, unstored ones). */
  #running = 0;
  #stopping: StopKind | undefined;
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
    this.#records = new RunRecords(this.#runId, workflow.name, settings.runKey);
    this.#where = { storeLocation: settings.store.location, runId: this.#runId };
    this.#source = { store: settings.store, workflow: workflow.name, runKey: settings.runKey };
    const size = graph.size;
    this.#dag = new DagState(graph);
    this.#ready = this.#dag.ready;
    this.#state = this.#dag.state;
    this.#openAttempt = new Int32Array(size);
    this.#attemptStart = new Float64Array(size);
    this.#recordedStart = new Int32Array(size);
    this.#holdsSlot = new Uint8Array(size);
    this.#commits = new CommitQueue(settings.store, {
      beforeCommit: () => this.#recordStarts(),
      committed: (tokens) => this.#committed(tokens),
      failed: (error) => this.#stop("fatal", error),
      attemptsRunning: () => this.#running > 0,
    });
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
      const restored = restoreCompleted(this.#nodes, this.#graph, this.#dag, stored, this.#source);
      await loadRestoredResults(this.#nodes, this.#dag, restored, this.#source);
      this.#commits.addRun(
        this.#records.run("RUNNING", this.#startedAt.getTime(), undefined, undefined),
      );
      await this.#commits.drain();
      if (events.has("run:start")) events.emit("run:start", this.#records.runEvent(), logger);
      if (signal?.aborted) this.#stop("cancelled", signal.reason);
      else signal?.addEventListener("abort", onAbort, { once: true });
      this.#pump();
      if (!this.#dag.allFinished) await this.#allDone;
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

  /** Starts ready tasks while there are free slots. */
  #pump(): void {
    const limit = this.#s.runner.concurrency;
    while (this.#stopping === undefined && this.#inFlight < limit && this.#ready.size > 0) {
      const i = this.#ready.pop();
      if (this.#retrying.size > 0) this.#retrying.delete(i);
      this.#inFlight++;
      this.#attempt(i);
    }
    if (this.#dag.allFinished) this.#done();
  }

  #attempt(i: number): void {
    const node = this.#nodes[i] as AnyTask;
    const st = node._state;
    const definition = node.definition;
    const options = definition.options;
    const attempt = ++st.attempts;
    const startedAt = Date.now();
    if (attempt === 1) {
      st.startedAtMs = startedAt;
      st.status = TaskStatus.RUNNING;
      this.#state[i] = RUNNING;
    }
    this.#openAttempt[i] = attempt;
    this.#running++;
    this.#attemptStart[i] = startedAt;
    const { logger, events, runner } = this.#s;
    const onStart = options.callbacks.onStart;
    if (attempt === 1 && onStart) {
      guard(logger, `onStart callback of task "${node.name}"`, () => onStart(node));
    }
    if (events.has("task:start"))
      events.emit("task:start", this.#records.taskEvent(node, attempt), logger);
    // An onStart callback or task:start listener may have stopped the run while this
    // attempt was announced: it ends cancelled, without running.
    if (this.#stopping !== undefined) {
      this.#outcome(i, attempt, false, this.#cancelledError(i));
      return;
    }
    let signal = this.#runSignal;
    if (options.timeoutMs !== undefined) {
      signal = this.#timeouts.open(i);
      if (!runner.armsTimeout) this.#armTimeout(i, attempt);
    }
    let inputs: Record<string, unknown>;
    try {
      inputs = inputsOf(this.#graph, this.#nodes, i, this.#where);
    } catch (error) {
      this.#outcome(i, attempt, false, toError(error));
      return;
    }
    const request: AttemptRequest = {
      workflow: this.#workflow,
      task: definition as TaskDefinition<never, unknown>,
      inputs,
      ctx: new AttemptContext(
        signal,
        attempt,
        node.name,
        this.#workflow.name,
        this.#runId,
        this.#s.runKey,
        this.#s.params,
        logger,
      ),
      armTimeout:
        runner.armsTimeout && options.timeoutMs !== undefined
          ? () => this.#armTimeout(i, attempt)
          : NO_TIMEOUT_TO_ARM,
    };
    let out: unknown;
    try {
      out = runner.runAttempt(request);
    } catch (error) {
      this.#outcome(i, attempt, false, toError(error));
      return;
    }
    if (isPromiseLike(out)) {
      // Still running at the next commit: that commit records it as RUNNING. (An attempt
      // that ended synchronously is recorded once, with its outcome.)
      this.#unrecordedStarts.push(i);
      this.#commits.poke();
      out.then(
        (value) => this.#outcome(i, attempt, true, value),
        (error: unknown) => this.#outcome(i, attempt, false, toError(error)),
      );
    } else {
      this.#outcome(i, attempt, true, out);
    }
  }

  #armTimeout(i: number, attempt: number): void {
    const node = this.#nodes[i] as AnyTask;
    const timeoutMs = node.definition.options.timeoutMs;
    if (this.#openAttempt[i] !== attempt || timeoutMs === undefined) return;
    this.#timeouts.arm(
      i,
      timeoutMs,
      () => new TaskTimeoutError(node.name, timeoutMs, attempt),
      (error) => this.#outcome(i, attempt, false, error),
    );
  }

  /** An attempt ended (once: a late outcome of an attempt already settled is ignored). */
  #outcome(i: number, attempt: number, ok: boolean, valueOrError: unknown): void {
    if (this.#openAttempt[i] !== attempt) return;
    this.#openAttempt[i] = 0;
    this.#running--;
    this.#timeouts.close(i);
    if (ok) this.#succeeded(i, attempt, valueOrError);
    else this.#attemptFailed(i, attempt, valueOrError as Error);
  }

  #succeeded(i: number, attempt: number, value: unknown): void {
    const node = this.#nodes[i] as AnyTask;
    const { store } = this.#s;
    let result: TaskStateWrite["result"];
    if (store.persistent) {
      try {
        result = encodeValue(value, `result of task "${node.name}"`, node.name);
      } catch (error) {
        this.#attemptFailed(i, attempt, toError(error));
        return;
      }
    } else {
      result = { kind: "live", value };
    }
    const st = node._state;
    const finishedAt = Date.now();
    st.result = value;
    st.hasResult = true;
    st.finishedAtMs = finishedAt;
    st.duration = (finishedAt - (st.startedAtMs as number)) / 1000;
    this.#commits.addTaskState(this.#records.state(node, "COMPLETED", result));
    this.#commits.addAttempt(this.#attemptRecord(i, attempt, "COMPLETED", finishedAt, undefined));
    this.#commits.release(i);
  }

  #attemptFailed(i: number, attempt: number, error: Error): void {
    const node = this.#nodes[i] as AnyTask;
    const options = node.definition.options;
    const { logger, events } = this.#s;
    this.#commits.addAttempt(this.#attemptRecord(i, attempt, "FAILED", Date.now(), error));
    if (
      this.#stopping === undefined &&
      attempt <= options.retries &&
      isRetryable(node.name, options, error, this.#s.logger)
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
      if (events.has("task:retry")) {
        events.emit("task:retry", { ...this.#records.taskEvent(node, nextAttempt), error }, logger);
      }
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
    st.finishedAtMs = finishedAt;
    st.duration = st.startedAtMs === undefined ? undefined : (finishedAt - st.startedAtMs) / 1000;
    st.status = TaskStatus.FAILED;
    this.#state[i] = FAILED;
    this.#holdsSlot[i] = holdsSlot ? 1 : 0;
    this.#commits.addTaskState(this.#records.state(node, "FAILED", undefined));
    this.#commits.release(-i - 1);
  }

  /** A commit group is durable: hand its completions and failures on. */
  #committed(tokens: readonly number[]): void {
    const { logger, events } = this.#s;
    for (const token of tokens) {
      const i = token >= 0 ? token : -token - 1;
      const node = this.#nodes[i] as AnyTask;
      const { callbacks } = node.definition.options;
      if (token >= 0) {
        node._state.status = TaskStatus.COMPLETED;
        this.#state[i] = COMPLETED;
        this.#inFlight--;
        const onComplete = callbacks.onComplete;
        if (onComplete) {
          guard(logger, `onComplete callback of task "${node.name}"`, () => onComplete(node));
        }
        if (events.has("task:complete")) {
          events.emit("task:complete", this.#records.taskEvent(node, node._state.attempts), logger);
        }
        this.#dag.settle(i, this.#stopping === undefined, this.#settleListener);
      } else {
        if (this.#holdsSlot[i]) this.#inFlight--;
        const error = node._state.error as Error;
        const onError = callbacks.onError;
        if (onError) {
          guard(logger, `onError callback of task "${node.name}"`, () => onError(node, error));
        }
        if (events.has("task:error")) {
          events.emit(
            "task:error",
            { ...this.#records.taskEvent(node, node._state.attempts), error },
            logger,
          );
        }
        this.#dag.settle(i, this.#stopping === undefined, this.#settleListener);
        if (this.#s.failFast && this.#stopping === undefined) this.#stop("failFast", error);
      }
    }
    this.#pump();
  }

  /** Task j will not run: record it and tell listeners. */
  #skipped(j: number): void {
    const node = this.#nodes[j] as AnyTask;
    node._state.status = TaskStatus.SKIPPED;
    this.#commits.addTaskState(this.#records.state(node, "SKIPPED", undefined));
    const { events, logger } = this.#s;
    if (events.has("task:skip")) events.emit("task:skip", this.#records.taskEvent(node, 0), logger);
  }

  /** Lets a stored result leave memory; `task.result` reads it back from the store. */
  #release(i: number): void {
    const { store } = this.#s;
    if (!store.persistent || !store.readResultSync || this.#state[i] !== COMPLETED) return;
    const st = (this.#nodes[i] as AnyTask)._state;
    if (!st.hasResult) return;
    st.hasResult = false;
    st.result = undefined;
    st.loadResult = resultLoader(this.#source, (this.#nodes[i] as AnyTask).name);
  }

  #attemptRecord(
    i: number,
    attempt: number,
    status: AttemptRecord["status"],
    finishedAt: number | undefined,
    error: Error | undefined,
  ): AttemptRecord {
    const name = (this.#nodes[i] as AnyTask).name;
    const startedAt = this.#attemptStart[i] as number;
    return this.#records.attempt(name, attempt, status, startedAt, finishedAt, error);
  }

  /** Before each commit: record the attempts started since the last one that still run. */
  #recordStarts(): void {
    const starts = this.#unrecordedStarts;
    if (starts.length === 0) return;
    this.#unrecordedStarts = [];
    for (const i of starts) {
      const attempt = this.#openAttempt[i] as number;
      if (attempt === 0 || this.#recordedStart[i] === attempt) continue;
      this.#recordedStart[i] = attempt;
      const node = this.#nodes[i] as AnyTask;
      this.#commits.addTaskState(this.#records.state(node, "RUNNING", undefined));
      this.#commits.addAttempt(this.#attemptRecord(i, attempt, "RUNNING", undefined, undefined));
    }
  }

  /** Stops the run: nothing new starts, running attempts are aborted and fail as cancelled. */
  #stop(kind: StopKind, reason: unknown): void {
    if (this.#stopping !== undefined) {
      if (kind === "fatal" && this.#fatal === undefined) this.#fatal = reason;
      return;
    }
    this.#stopping = kind;
    if (kind === "fatal") this.#fatal = reason;
    if (kind === "cancelled") this.#cancelReason = reason;
    for (const i of this.#retrying) {
      clearTimeout(this.#retryTimers.get(i));
      this.#failed(i, this.#cancelledError(i), false);
    }
    this.#retrying.clear();
    this.#retryTimers.clear();
    this.#dag.skipPending(this.#settleListener);
    this.#controller.abort(reason);
    for (let i = 0; i < this.#graph.size; i++) {
      const attempt = this.#openAttempt[i] as number;
      if (attempt !== 0) this.#outcome(i, attempt, false, this.#cancelledError(i));
    }
    // Nothing more can be stored after a failed commit: end the run now.
    if (kind === "fatal") this.#done();
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
    const { result, error } = buildRunResult({
      runId: this.#runId,
      workflow: this.#workflow.name,
      runKey: this.#s.runKey,
      nodes: this.#nodes,
      startedAt: this.#startedAt,
      finishedAt,
      stopping: this.#stopping,
      cancelReason: this.#cancelReason,
      fatal: this.#fatal,
    });
    if (this.#fatal === undefined) {
      this.#commits.addRun(
        this.#records.run(
          result.status,
          this.#startedAt.getTime(),
          finishedAt.getTime(),
          error ? serializeError(error) : undefined,
        ),
      );
      await this.#commits.drain();
    }
    this.#s.events.emit("run:finish", { ...this.#records.runEvent(), result }, this.#s.logger);
    if (error) throw error;
    return result;
  }
}
