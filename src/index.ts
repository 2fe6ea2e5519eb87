/**
 * FlowWeaver: an embeddable workflow engine for Node.js.
 *
 * A workflow is a DAG of named tasks. Each task gets its dependencies' results by name,
 * retries, times out and reports to callbacks; an executor runs the DAG (one task at a
 * time, concurrently on the event loop, on worker threads, or on worker processes across
 * hosts through a BullMQ queue); a state store persists every task so a re-run resumes
 * where the last one stopped.
 *
 * @example
 * import { task, Workflow, SequentialExecutor, SQLiteStateStore } from "flowweaver";
 *
 * const extract = task(async function extract() { return [1, 2, 3]; });
 * const total = task("total", ({ extract }: { extract: number[] }) =>
 *   extract.reduce((a, b) => a + b, 0));
 *
 * const wf = new Workflow({ name: "numbers", module: import.meta.url });
 * wf.addTask(extract);
 * wf.addTask(total, { dependsOn: [extract] });
 *
 * const stateStore = new SQLiteStateStore(".flowweaver/state.db");
 * await new SequentialExecutor({ stateStore }).execute(wf); // a second run resumes
 *
 * @module
 */
export { type Duration, durationToMs } from "./core/duration.js";
export * from "./core/errors.js";
export type {
  ExecutorEventName,
  ExecutorEvents,
  Listener,
  RunEvent,
  RunResult,
  RunStatus,
  TaskEvent,
  TaskSummary,
} from "./core/events.js";
export { type Logger, silentLogger, stderrLogger, type TaskLogger } from "./core/logger.js";
export type { AttemptRequest, AttemptRunner } from "./core/runner.js";
export {
  decodeValue,
  type EncodedValue,
  encodeValue,
  previewEncoded,
} from "./core/serialization.js";
export {
  type AnyTask,
  Task,
  type TaskCallbacks,
  type TaskContext,
  type TaskDefinition,
  type TaskFn,
  type TaskFunction,
  type TaskLike,
  type TaskOptions,
  TaskStatus,
  task,
} from "./core/task.js";
export type { ResolvedTaskOptions } from "./core/task-options.js";
export {
  type AddTaskOptions,
  type CheckedDependencies,
  type DependencyRef,
  Workflow,
  type WorkflowOptions,
} from "./core/workflow.js";
export { AsyncExecutor, type AsyncExecutorOptions } from "./executors/async.js";
export { BullMQExecutor, type BullMQExecutorOptions } from "./executors/bullmq/executor.js";
export type { QueueOptions, RedisConnectionOptions } from "./executors/bullmq/options.js";
export {
  type FlowWeaverWorker,
  startWorker,
  type WorkerOptions,
} from "./executors/bullmq/worker.js";
export { type ExecuteOptions, Executor, type ExecutorOptions } from "./executors/executor.js";
export { SequentialExecutor } from "./executors/sequential.js";
export { ThreadedExecutor, type ThreadedExecutorOptions } from "./executors/threaded/executor.js";
export { JSONStateStore, type JSONStateStoreOptions } from "./stores/json/index.js";
export { MemoryStateStore } from "./stores/memory/index.js";
export {
  type PostgresPoolConfig,
  PostgresStateStore,
  type PostgresStateStoreOptions,
} from "./stores/postgres/index.js";
export { SQLiteStateStore, type SQLiteStateStoreOptions } from "./stores/sqlite/index.js";
export type * from "./stores/store.js";
