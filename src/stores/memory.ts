import { StoreLockedError } from "../core/errors.js";
import { decodeValue } from "../core/serialization.js";
import type {
  AttemptRecord,
  LockOwner,
  RunQuery,
  RunRecord,
  StateStore,
  StoreBatch,
  StoredTaskState,
  StoreLock,
  TaskStateWrite,
} from "./store.js";

/** The write as it came: states are rebuilt from it on the (rare) reads. */
type Entry = TaskStateWrite;

/**
 * Keeps states in this process's memory, values as they are (no serialization). Share
 * one instance between runs to resume within a process; it is gone when the process ends.
 *
 * @example
 * const store = new MemoryStateStore();
 * await new SequentialExecutor({ stateStore: store }).execute(wf);
 */
export class MemoryStateStore implements StateStore {
  readonly location = "memory:";
  readonly persistent = false;
  /** workflow → run key → task → latest write. */
  readonly #partitions = new Map<string, Map<string, Map<string, Entry>>>();
  readonly #runs = new Map<string, RunRecord>();
  readonly #attempts = new Map<string, AttemptRecord[]>();
  readonly #locks = new Map<string, LockOwner>();

  async acquireLock(workflow: string, owner: LockOwner): Promise<StoreLock> {
    const holder = this.#locks.get(workflow);
    if (holder) {
      throw new StoreLockedError(
        `Workflow "${workflow}" is already running on this memory store (run ${holder.runId}); wait for it to finish.`,
        `run ${holder.runId} (pid ${holder.pid} on ${holder.host})`,
      );
    }
    this.#locks.set(workflow, owner);
    return {
      release: async () => {
        if (this.#locks.get(workflow) === owner) this.#locks.delete(workflow);
      },
    };
  }

  async loadTaskStates(workflow: string, runKey: string): Promise<Map<string, StoredTaskState>> {
    const states = new Map<string, StoredTaskState>();
    for (const [task, entry] of this.#partition(workflow, runKey) ?? [])
      states.set(task, toState(entry));
    return states;
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    return this.readResultSync(workflow, runKey, task);
  }

  readResultSync(workflow: string, runKey: string, task: string): unknown {
    const result = this.#partition(workflow, runKey)?.get(task)?.result;
    if (result === undefined) return undefined;
    return result.kind === "live" ? result.value : decodeValue(result);
  }

  async commit(batch: StoreBatch): Promise<void> {
    for (const run of batch.runs) this.#runs.set(run.runId, run);
    for (const write of batch.taskStates) {
      let byRunKey = this.#partitions.get(write.workflow);
      if (!byRunKey) {
        byRunKey = new Map();
        this.#partitions.set(write.workflow, byRunKey);
      }
      let partition = byRunKey.get(write.runKey);
      if (!partition) {
        partition = new Map();
        byRunKey.set(write.runKey, partition);
      }
      partition.set(write.task, write);
    }
    for (const attempt of batch.attempts) {
      // Appended as they come; a later write of the same attempt wins when listed.
      let byRun = this.#attempts.get(attempt.runId);
      if (!byRun) {
        byRun = [];
        this.#attempts.set(attempt.runId, byRun);
      }
      byRun.push(attempt);
    }
  }

  async clearAllStates(workflow?: string): Promise<void> {
    if (workflow === undefined) {
      this.#partitions.clear();
      this.#runs.clear();
      this.#attempts.clear();
      return;
    }
    this.#partitions.delete(workflow);
    for (const [runId, run] of [...this.#runs]) {
      if (run.workflow === workflow) {
        this.#runs.delete(runId);
        this.#attempts.delete(runId);
      }
    }
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const runs = [...this.#runs.values()].filter(
      (run) =>
        (query.workflow === undefined || run.workflow === query.workflow) &&
        (query.runId === undefined || run.runId === query.runId),
    );
    // Newest first; insertion order breaks ties between runs started in the same millisecond.
    return runs
      .reverse()
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, query.limit ?? 50);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    const latest = new Map<string, AttemptRecord>();
    for (const attempt of this.#attempts.get(runId) ?? []) {
      latest.set(`${attempt.task}\u0000${attempt.attempt}`, attempt);
    }
    const attempts = [...latest.values()];
    return attempts.sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  }

  async listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]> {
    const states: StoredTaskState[] = [];
    for (const [key, partition] of this.#partitions.get(workflow) ?? []) {
      if (runKey !== undefined && key !== runKey) continue;
      for (const entry of partition.values()) states.push(toState(entry));
    }
    return states;
  }

  async listWorkflows(): Promise<string[]> {
    const names = new Set<string>();
    for (const [workflow, byRunKey] of this.#partitions) {
      for (const partition of byRunKey.values()) if (partition.size > 0) names.add(workflow);
    }
    for (const run of this.#runs.values()) names.add(run.workflow);
    return [...names].sort();
  }

  async close(): Promise<void> {}

  #partition(workflow: string, runKey: string): Map<string, Entry> | undefined {
    return this.#partitions.get(workflow)?.get(runKey);
  }
}

function toState(write: TaskStateWrite): StoredTaskState {
  return {
    workflow: write.workflow,
    runKey: write.runKey,
    task: write.task,
    status: write.status,
    runId: write.runId,
    attempts: write.attempts,
    startedAt: write.startedAt,
    finishedAt: write.finishedAt,
    duration: write.duration,
    version: write.version,
    error: write.error,
    hasResult: write.result !== undefined,
  };
}
