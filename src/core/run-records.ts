import type { AttemptRecord, RunRecord, TaskStateWrite } from "../stores/store.js";
import { type SerializedError, serializeError } from "./errors.js";
import type { ExecutorEvents, RunResult } from "./events.js";
import type { AnyTask } from "./task.js";

/**
 * Builds what one run writes to its store and sends to listeners: run records, task
 * states, attempt records and event payloads, all tagged with the run's identity.
 */
export class RunRecords {
  constructor(
    readonly runId: string,
    readonly workflow: string,
    readonly runKey: string,
  ) {}

  run(
    status: "RUNNING" | RunResult["status"],
    startedAt: number,
    finishedAt: number | undefined,
    error: SerializedError | undefined,
  ): RunRecord {
    return {
      runId: this.runId,
      workflow: this.workflow,
      runKey: this.runKey,
      status,
      startedAt,
      finishedAt,
      error,
    };
  }

  /** The node's current state as a store write (times and error only once it ended). */
  state(
    node: AnyTask,
    status: TaskStateWrite["status"],
    result: TaskStateWrite["result"],
  ): TaskStateWrite {
    const st = node._state;
    const running = status === "RUNNING";
    return {
      workflow: this.workflow,
      runKey: this.runKey,
      task: node.name,
      status,
      runId: this.runId,
      attempts: st.attempts,
      startedAt: st.startedAtMs,
      finishedAt: running ? undefined : st.finishedAtMs,
      duration: running ? undefined : st.duration,
      version: node.definition.options.version,
      error: status === "FAILED" && st.error ? serializeError(st.error) : undefined,
      result,
    };
  }

  attempt(
    task: string,
    attempt: number,
    status: AttemptRecord["status"],
    startedAt: number,
    finishedAt: number | undefined,
    error: Error | undefined,
  ): AttemptRecord {
    return {
      runId: this.runId,
      workflow: this.workflow,
      task,
      attempt,
      status,
      startedAt,
      finishedAt,
      error: error ? serializeError(error) : undefined,
    };
  }

  runEvent(): ExecutorEvents["run:start"] {
    return { runId: this.runId, workflow: this.workflow, runKey: this.runKey };
  }

  taskEvent(node: AnyTask, attempt: number): ExecutorEvents["task:start"] {
    return {
      runId: this.runId,
      workflow: this.workflow,
      runKey: this.runKey,
      task: node,
      attempt,
    };
  }
}
