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
} from "./store.js";

interface Entry {
  state: StoredTaskState;
  value: unknown;
}

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
  readonly #partitions = new Map<string, Map<string, Entry>>();
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
      states.set(task, entry.state);
    return states;
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    return this.readResultSync(workflow, runKey, task);
  }

  readResultSync(workflow: string, runKey: string, task: string): unknown {
    return this.#partition(workflow, runKey)?.get(task)?.value;
  }

  async commit(batch: StoreBatch): Promise<void> {
    for (const run of batch.runs) this.#runs.set(run.runId, run);
    for (const write of batch.taskStates) {
      const key = partitionKey(write.workflow, write.runKey);
      let partition = this.#partitions.get(key);
      if (!partition) {
        partition = new Map();
        this.#partitions.set(key, partition);
      }
      const result = write.result;
      const value =
        result === undefined
          ? undefined
          : result.kind === "live"
            ? result.value
            : decodeValue(result);
      const state: StoredTaskState = {
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
        hasResult: result !== undefined,
      };
      partition.set(write.task, { state, value });
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
    const prefix = partitionKey(workflow, "");
    for (const key of [...this.#partitions.keys()]) {
      if (key.startsWith(prefix)) this.#partitions.delete(key);
    }
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
    for (const [key, partition] of this.#partitions) {
      if (!key.startsWith(partitionKey(workflow, runKey ?? ""))) continue;
      if (runKey !== undefined && key !== partitionKey(workflow, runKey)) continue;
      for (const entry of partition.values()) states.push(entry.state);
    }
    return states;
  }

  async listWorkflows(): Promise<string[]> {
    const names = new Set<string>();
    for (const partition of this.#partitions.values()) {
      for (const entry of partition.values()) names.add(entry.state.workflow);
    }
    for (const run of this.#runs.values()) names.add(run.workflow);
    return [...names].sort();
  }

  async close(): Promise<void> {}

  #partition(workflow: string, runKey: string): Map<string, Entry> | undefined {
    return this.#partitions.get(partitionKey(workflow, runKey));
  }
}

function partitionKey(workflow: string, runKey: string): string {
  return `${workflow}\u0000${runKey}`;
}
