/** Small observers shared by the executor tests: a recording logger and an event log. */
import {
  type Executor,
  type ExecutorEventName,
  type ExecutorEvents,
  type Logger,
  type RunResult,
  type StateStore,
  silentLogger,
} from "../../src/index.js";
import type { Plan } from "./contract-workflows.js";

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

/** A pino-shaped logger that keeps every entry. */
export function recordingLogger(): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void => {
      entries.push({ level, fields, message });
    };
  return {
    logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    entries,
  };
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
 * Aborts `controller` once `taskName` is running: one macrotask after its task:start, by
 * which time an event-loop runner has called the task function (its inputs are handed
 * over in microtasks).
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
