import { expect } from "vitest";
import type {
  AttemptRecord,
  Executor,
  RunRecord,
  StateStore,
  TaskContext,
  TaskStateWrite,
} from "../../../src/index.js";
import {
  AsyncExecutor,
  encodeValue,
  SequentialExecutor,
  silentLogger,
  task,
  Workflow,
} from "../../../src/index.js";

/**
 * What a store's test file hands to {@link storeContract}: a way to open the store under
 * test at one location, again and again.
 */
export interface StoreFixture {
  /**
   * Opens the store at the fixture's location. Persistent stores return a fresh instance
   * each time (the contract closes the previous one first, then checks nothing was lost);
   * the memory store returns its one instance.
   */
  open(): StateStore;
  /** True when closing and reopening keeps everything (every store but memory). */
  readonly persistent: boolean;
  /** Removes what the fixture created (temp directories); stores are closed before. */
  cleanup(): void | Promise<void>;
}

/** The per-test handle the contract's cases share. */
export interface ContractContext {
  readonly fixture: StoreFixture;
  /** The store currently open. */
  readonly store: StateStore;
  /** Closes the current store and opens it again at the same location. */
  reopen(): Promise<StateStore>;
}

/** The executors every resume case runs under; both share the one scheduler core. */
export const EXECUTORS: readonly [string, (store: StateStore) => Executor][] = [
  [
    "SequentialExecutor",
    (stateStore) => new SequentialExecutor({ stateStore, logger: silentLogger }),
  ],
  [
    "AsyncExecutor",
    (stateStore) => new AsyncExecutor({ stateStore, logger: silentLogger, maxConcurrent: 4 }),
  ],
];

/** A task in a test workflow: its dependencies and, optionally, what it does. */
export interface TaskSpec {
  readonly deps?: readonly string[];
  readonly version?: string | number;
  readonly retries?: number;
  /** Returns the task's result; by default `{ task, inputs }`, so data flow is visible. */
  readonly run?: (inputs: Record<string, unknown>, ctx: TaskContext) => unknown;
}

/** Counts how often each task function ran, across runs. */
export class Calls {
  readonly #counts = new Map<string, number>();

  record(name: string): void {
    this.#counts.set(name, this.count(name) + 1);
  }

  count(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  /** Counts of every task named, as a record, for one readable assertion. */
  of(...names: string[]): Record<string, number> {
    return Object.fromEntries(names.map((name) => [name, this.count(name)]));
  }
}

/**
 * Builds a fresh Workflow object (resume must work across objects, as across processes)
 * from specs in insertion order.
 */
export function buildWorkflow(
  name: string,
  specs: Readonly<Record<string, TaskSpec>>,
  calls: Calls,
): Workflow {
  const wf = new Workflow(name);
  for (const [taskName, spec] of Object.entries(specs)) {
    const run =
      spec.run ??
      ((inputs: Record<string, unknown>) => ({ task: taskName, inputs: { ...inputs } }));
    const options = {
      ...(spec.version === undefined ? {} : { version: spec.version }),
      ...(spec.retries === undefined ? {} : { retries: spec.retries }),
    };
    const definition = task(
      taskName,
      (inputs: Record<string, unknown>, ctx: TaskContext) => {
        calls.record(taskName);
        return run(inputs, ctx);
      },
      options,
    );
    wf.addTask(definition, { dependsOn: [...(spec.deps ?? [])] });
  }
  return wf;
}

/** A result as the scheduler hands it to this store: encoded, or live for memory. */
export function resultFor(store: StateStore, value: unknown): TaskStateWrite["result"] {
  return store.persistent
    ? encodeValue(value, "contract test value")
    : { kind: "live", value: value };
}

let clock = Date.UTC(2026, 10, 25, 8, 0, 0);
/** Distinct, increasing timestamps, so ordering assertions never depend on the wall clock. */
export function tick(): number {
  clock += 1000;
  return clock;
}

/** A task state write with every field set; `overrides` change what a case needs. */
export function stateWrite(overrides: Partial<TaskStateWrite> = {}): TaskStateWrite {
  const startedAt = tick();
  return {
    workflow: "wf",
    runKey: "default",
    task: "a",
    status: "COMPLETED",
    runId: "run-1",
    attempts: 1,
    startedAt,
    finishedAt: startedAt + 250,
    duration: 0.25,
    version: undefined,
    error: undefined,
    ...overrides,
  };
}

export function runRecord(overrides: Partial<RunRecord> = {}): RunRecord {
  const startedAt = tick();
  return {
    runId: "run-1",
    workflow: "wf",
    runKey: "default",
    status: "COMPLETED",
    startedAt,
    finishedAt: startedAt + 500,
    error: undefined,
    ...overrides,
  };
}

export function attemptRecord(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  const startedAt = tick();
  return {
    runId: "run-1",
    workflow: "wf",
    task: "a",
    attempt: 1,
    status: "COMPLETED",
    startedAt,
    finishedAt: startedAt + 100,
    error: undefined,
    ...overrides,
  };
}

/** What a state write reads back as: the same fields, and whether a result came along. */
export function expectedState(write: TaskStateWrite): Record<string, unknown> {
  const { result, ...rest } = write;
  return { ...rest, hasResult: result !== undefined };
}

/** Awaits a run that must fail, and returns what it rejected with. */
export async function failingRun(run: Promise<unknown>): Promise<Error & { code?: string }> {
  const error = await run.then(
    () => {
      throw new Error("expected the run to fail, but it completed");
    },
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { code?: string };
}

/** Sorts records by a string key, for comparisons that do not depend on order. */
export function byKey<T>(items: readonly T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
