import { toError, WorkflowCancelledError, WorkflowFailedError } from "./errors.js";
import type { RunResult, TaskSummary } from "./events.js";
import { type AnyTask, TaskStatus } from "./task.js";

/** Why a run stopped early: cancelled by its signal, failFast, or a failed commit. */
export type StopKind = "cancelled" | "failFast" | "fatal";

/** The run's result from its nodes, and the error `execute` rejects with, if any. */
export function buildRunResult(run: {
  runId: string;
  workflow: string;
  runKey: string;
  nodes: readonly AnyTask[];
  startedAt: Date;
  finishedAt: Date;
  stopping: StopKind | undefined;
  cancelReason: unknown;
  fatal: unknown;
}): { result: RunResult; error: Error | undefined } {
  const failed: string[] = [];
  for (const node of run.nodes) {
    if (node._state.status === TaskStatus.FAILED) failed.push(node.name);
  }
  const summaries = snapshot(run.nodes);
  const status =
    run.stopping === "cancelled"
      ? "CANCELLED"
      : failed.length > 0 || run.fatal !== undefined
        ? "FAILED"
        : "COMPLETED";
  const result = {
    runId: run.runId,
    workflow: run.workflow,
    runKey: run.runKey,
    status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    duration: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
  } as RunResult;
  // `tasks` is built from a snapshot on first read: a large run's result is often only
  // checked for its status. It is an enumerable own property all the same, so JSON,
  // spreading, structured clone and equality see it like any other.
  let tasks: Record<string, TaskSummary> | undefined;
  Object.defineProperty(result, "tasks", {
    enumerable: true,
    configurable: true,
    get: () => {
      tasks ??= summaries();
      return tasks;
    },
  });
  const error =
    run.fatal !== undefined
      ? toError(run.fatal)
      : status === "CANCELLED"
        ? new WorkflowCancelledError(result, run.cancelReason)
        : status === "FAILED"
          ? new WorkflowFailedError(result, failed)
          : undefined;
  return { result, error };
}

const STATUSES = Object.values(TaskStatus);

/**
 * Copies what a summary needs out of the nodes now (they change when the workflow runs
 * again), into flat arrays; returns the function that builds the summaries from them.
 */
function snapshot(nodes: readonly AnyTask[]): () => Record<string, TaskSummary> {
  const size = nodes.length;
  const status = new Uint8Array(size);
  const attempts = new Int32Array(size);
  const duration = new Float64Array(size);
  const restored = new Uint8Array(size);
  const errors = new Map<number, Error>();
  for (let i = 0; i < size; i++) {
    const st = (nodes[i] as AnyTask)._state;
    status[i] = STATUSES.indexOf(st.status);
    attempts[i] = st.attempts;
    duration[i] = st.duration ?? Number.NaN;
    restored[i] = st.restored ? 1 : 0;
    if (st.error) errors.set(i, st.error);
  }
  const names = nodes.map((node) => node.name);
  return () => {
    // Keyed by task names: built without a prototype (see the scheduler's inputs), then
    // given Object's.
    const tasks = Object.create(null) as Record<string, TaskSummary>;
    for (let i = 0; i < size; i++) {
      const seconds = duration[i] as number;
      tasks[names[i] as string] = {
        status: STATUSES[status[i] as number] as TaskStatus,
        attempts: attempts[i] as number,
        duration: Number.isNaN(seconds) ? undefined : seconds,
        error: errors.get(i),
        restored: restored[i] === 1,
      };
    }
    return Object.setPrototypeOf(tasks, Object.prototype) as Record<string, TaskSummary>;
  };
}
