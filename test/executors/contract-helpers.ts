/**
 * Small observers shared by the executor tests: a recording logger, an event log and the
 * attempt requests an executor's runner receives. All of them live in the test's thread,
 * so they see the same things whether tasks run here or in a worker thread.
 */
import { threadId } from "node:worker_threads";
import {
  type AttemptRequest,
  type AttemptRunner,
  type Executor,
  type ExecutorEventName,
  type ExecutorEvents,
  type Logger,
  type RunResult,
  type StateStore,
  silentLogger,
} from "../../src/index.js";
import { type Plan, WAITING_FOR_ABORT } from "./contract-workflows.js";

/** What the contract asks of an executor factory; executors map `concurrency` to their own option. */
export interface ContractExecutorOptions {
  stateStore?: StateStore;
  logger?: Logger;
  concurrency?: number;
}
export type MakeExecutor = (opts: ContractExecutorOptions) => Executor;

/** A quiet executor with room for several tasks at once (where the executor allows it). */
export function quiet(make: MakeExecutor, opts: ContractExecutorOptions = {}): Executor {
  return make({ logger: silentLogger, concurrency: 4, ...opts });
}

/** Execute options whose params carry the plan of what each step does. */
export function withPlan(plan: Plan, params: Record<string, unknown> = {}) {
  return { params: { ...params, plan } };
}

export interface LogEntry {
  readonly level: keyof Logger;
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export interface RecordingLogger {
  readonly logger: Logger;
  readonly entries: LogEntry[];
  /**
   * The first entry with `message` whose fields include `fields`, once it is logged
   * (at once if it already was): a test can react to a line a task logs through `ctx.log`.
   */
  whenLogged(message: string, fields?: Record<string, unknown>): Promise<LogEntry>;
}

/** A pino-shaped logger that keeps every entry. */
export function recordingLogger(): RecordingLogger {
  const entries: LogEntry[] = [];
  const waiters = new Set<{ matches: (entry: LogEntry) => boolean; resolve: Resolve }>();
  type Resolve = (entry: LogEntry) => void;
  const at =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void => {
      const entry = { level, fields, message };
      entries.push(entry);
      for (const waiter of waiters) {
        if (!waiter.matches(entry)) continue;
        waiters.delete(waiter);
        waiter.resolve(entry);
      }
    };
  return {
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    entries,
    whenLogged(message, fields = {}) {
      const matches = (entry: LogEntry) =>
        entry.message === message &&
        Object.entries(fields).every(([key, value]) => Object.is(entry.fields[key], value));
      const logged = entries.find(matches);
      if (logged) return Promise.resolve(logged);
      return new Promise<LogEntry>((resolve) => waiters.add({ matches, resolve }));
    },
  };
}

/**
 * Aborts `controller` once attempt 1 of `taskName` logs that it waits for its signal: the
 * task is then running and listening, whether in this thread or a worker thread (whose
 * `ctx.log` lines reach the executor's logger here). The step must run with
 * `waitForAbortOn: [1]` and the executor must log to `recorder.logger`.
 */
export function abortWhenWaiting(
  recorder: RecordingLogger,
  taskName: string,
  controller: AbortController,
  reason?: unknown,
): void {
  void recorder
    .whenLogged(WAITING_FOR_ABORT, { task: taskName, attempt: 1 })
    .then(() => controller.abort(reason));
}

/**
 * True when `taskName`'s attempt logged that it waits for its signal from this thread:
 * then it ran here, and what it recorded in its module (abortLog) is visible here too.
 */
export function waitedInThisThread(
  entries: readonly LogEntry[],
  taskName: string,
  attempt: number,
): boolean {
  const waiting = entries.find(
    (e) =>
      e.message === WAITING_FOR_ABORT && e.fields.task === taskName && e.fields.attempt === attempt,
  );
  return waiting?.fields.thread === threadId;
}

/**
 * Records every attempt request the executor's runner receives, as the scheduler built
 * it. A request's `ctx.signal` is the scheduler's side of the attempt, in this thread: a
 * test reads it to see that an attempt was told to stop even when the task ran in a
 * thread that was terminated before it could report anything. It wraps the executor's
 * protected `runner` because no public API shows a request (nor should one).
 */
export function watchAttempts(executor: Executor): AttemptRequest[] {
  const runner = (executor as unknown as { runner?: AttemptRunner }).runner;
  if (typeof runner?.runAttempt !== "function") {
    throw new Error(
      `watchAttempts: ${executor.constructor.name} has no runner with runAttempt(); executors keep their AttemptRunner in \`runner\`.`,
    );
  }
  const requests: AttemptRequest[] = [];
  const runAttempt = runner.runAttempt.bind(runner);
  runner.runAttempt = (request) => {
    requests.push(request);
    return runAttempt(request);
  };
  return requests;
}

/** The `ctx.signal` the runner was handed for one attempt of one task. */
export function attemptSignal(
  requests: readonly AttemptRequest[],
  taskName: string,
  attempt: number,
): AbortSignal | undefined {
  return requests.find((r) => r.task.name === taskName && r.ctx.attempt === attempt)?.ctx.signal;
}

export interface EventEntry {
  readonly event: ExecutorEventName;
  readonly task: string | undefined;
  readonly attempt: number | undefined;
  readonly payload: ExecutorEvents[ExecutorEventName];
}

const EVENTS: readonly ExecutorEventName[] = [
  "run:start",
  "run:finish",
  "task:start",
  "task:complete",
  "task:retry",
  "task:error",
];

/**
 * Aborts `controller` one macrotask after `taskName`'s task:start. An event-loop runner
 * has called the task function by then (its inputs are handed over in microtasks); a
 * runner that runs attempts elsewhere (a worker thread, a queue) may not have, and the
 * abort then stops an attempt under way before its function runs. Needs nothing from the
 * task, so it works whatever logger the task's `ctx.log` reaches; when the task must be
 * running, use {@link abortWhenWaiting}.
 */
export function abortWhenRunning(
  executor: Executor,
  taskName: string,
  controller: AbortController,
  reason?: unknown,
): void {
  executor.on("task:start", ({ task }) => {
    if (task.name === taskName) setImmediate(() => controller.abort(reason));
  });
}

/** The `error` of an event's payload, if it has one. */
export function eventError(entry: EventEntry | undefined): Error | undefined {
  return (entry?.payload as { error?: Error } | undefined)?.error;
}

/** Records every event the executor emits, in order. */
export function recordEvents(executor: Executor): EventEntry[] {
  const log: EventEntry[] = [];
  for (const event of EVENTS) {
    executor.on(event, (payload: ExecutorEvents[ExecutorEventName]) => {
      const task = "task" in payload ? payload.task : undefined;
      const attempt = "attempt" in payload ? payload.attempt : undefined;
      log.push({ event, task: task?.name, attempt, payload });
    });
  }
  return log;
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`expected an Error rejection, got ${String(error)}`);
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** The run a rejection carries (WorkflowFailedError / WorkflowCancelledError). */
export function resultOf(error: Error): RunResult {
  const result = (error as { result?: RunResult }).result;
  if (result === undefined) throw new Error(`${error.name} carries no result: ${error.message}`);
  return result;
}

/** Counts of the live handles that could keep the process alive. */
export function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = { Timeout: 0, Immediate: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "Timeout" || kind === "Immediate") counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * Kinds of handle that are more numerous now than in `before`: what a run left behind.
 * Vitest's own timers come and go between the two counts, so fewer is fine; more is a leak.
 */
export function leftoverHandles(before: Record<string, number>): string[] {
  const now = liveHandles();
  return Object.keys(now).filter((kind) => (now[kind] ?? 0) > (before[kind] ?? 0));
}

/** Checks that in the event log no task started before all its dependencies completed. */
export function startsAfterDependencies(
  log: readonly EventEntry[],
  dependencies: (task: string) => readonly string[],
): string[] {
  const completed = new Set<string>();
  const violations: string[] = [];
  for (const entry of log) {
    if (entry.task === undefined) continue;
    if (entry.event === "task:complete") completed.add(entry.task);
    if (entry.event === "task:start") {
      for (const dep of dependencies(entry.task)) {
        if (!completed.has(dep)) violations.push(`${entry.task} started before ${dep} completed`);
      }
    }
  }
  return violations;
}
