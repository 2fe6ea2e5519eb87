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
  const tasks = summarize(run.nodes);
  const status =
    run.stopping === "cancelled"
      ? "CANCELLED"
      : failed.length > 0 || run.fatal !== undefined
        ? "FAILED"
        : "COMPLETED";
  const result: RunResult = {
    runId: run.runId,
    workflow: run.workflow,
    runKey: run.runKey,
    status,
    tasks,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    duration: (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000,
  };
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

function summarize(nodes: readonly AnyTask[]): Record<string, TaskSummary> {
  // Keyed by task names: built without a prototype (see the scheduler's inputs), then
  // given Object's.
  const tasks = Object.create(null) as Record<string, TaskSummary>;
  for (const node of nodes) {
    const st = node._state;
    tasks[node.name] = {
      status: st.status,
      attempts: st.attempts,
      duration: st.duration,
      error: st.error,
      restored: st.restored,
    };
  }
  return Object.setPrototypeOf(tasks, Object.prototype) as Record<string, TaskSummary>;
}
