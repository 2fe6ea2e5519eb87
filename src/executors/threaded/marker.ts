/**
 * Tells `execute` whether it was called from workflow module code inside a FlowWeaver
 * worker thread. A worker imports the workflow's module to find its tasks; when that
 * module also runs the workflow at its top level (a script that defines and executes),
 * the worker must not run the whole workflow again. Calls made from inside a task
 * function (a task that runs a nested workflow) still run.
 *
 * The marker lives on `globalThis` under a registered symbol so that it holds even when
 * the workflow module loaded another copy of FlowWeaver than the worker did.
 */
import type { RunResult } from "../../core/events.js";
import { TaskStatus } from "../../core/task.js";
import type { Workflow } from "../../core/workflow.js";

const MARKER = Symbol.for("flowweaver.threadedWorker");

interface WorkerMarker {
  /** True while the caller is (asynchronously) inside a task function. */
  readonly insideTask: () => boolean;
}

type MarkedGlobal = typeof globalThis & { [MARKER]?: WorkerMarker };

/** Called once by the worker entry, before it imports any workflow module. */
export function markWorkerThread(insideTask: () => boolean): void {
  (globalThis as MarkedGlobal)[MARKER] = { insideTask };
}

/** True when running in a FlowWeaver worker, outside any task function: module code. */
export function isWorkerModuleCode(): boolean {
  const marker = (globalThis as MarkedGlobal)[MARKER];
  return marker !== undefined && !marker.insideTask();
}

/**
 * What `execute` resolves to when {@link isWorkerModuleCode}: nothing ran and the store
 * was not touched. It resolves (rather than never settling) so that a module which awaits
 * `execute` at its top level finishes importing; its status is `COMPLETED` so that module
 * code checking it does not exit the thread; every task is `SKIPPED` with 0 attempts,
 * and `runId` is empty, which no real run has.
 */
export function skippedInWorker(workflow: Workflow, runKey: string): RunResult {
  const now = new Date();
  const tasks: RunResult["tasks"] = Object.fromEntries(
    workflow.tasks.map((node) => [
      node.name,
      {
        status: TaskStatus.SKIPPED,
        attempts: 0,
        duration: undefined,
        error: undefined,
        restored: false,
      },
    ]),
  );
  return {
    runId: "",
    workflow: workflow.name,
    runKey,
    status: "COMPLETED",
    tasks,
    startedAt: now,
    finishedAt: now,
    duration: 0,
  };
}
