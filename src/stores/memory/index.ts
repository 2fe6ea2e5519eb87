import { StoreLockedError } from "../../core/errors.js";
import { decodeValue } from "../../core/serialization.js";
import type {
  AttemptRecord,
  LockOwner,
  RunQuery,
  RunRecord,
  StateStore,
  StoreBatch,
  StoredTaskState,
  StoreLock,
} from "../store.js";
import { AttemptLog } from "./attempt-log.js";
import { StateTable } from "./state-table.js";

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
  /** workflow → run key → the latest state of each task. */
  readonly #partitions = new Map<string, Map<string, StateTable>>();
  readonly #runs = new Map<string, RunRecord>();
  readonly #attempts = new Map<string, AttemptLog>();
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
    for (const state of this.#partition(workflow, runKey)?.states() ?? []) {
      states.set(state.task, state);
    }
    return states;
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    return this.readResultSync(workflow, runKey, task);
  }

  readResultSync(workflow: string, runKey: string, task: string): unknown {
    const result = this.#partition(workflow, runKey)?.result(task);
    if (result === undefined || result.kind === "none") return undefined;
    return result.kind === "live" ? result.value : decodeValue(result.value);
  }

  async commit(batch: StoreBatch): Promise<void> {
    this.commitSync(batch);
  }

  commitSync(batch: StoreBatch): undefined {
    for (const run of batch.runs) this.#runs.set(run.runId, run);
    // A batch is nearly always one run's: look its partition and history up once.
    let partition: StateTable | undefined;
    for (const write of batch.taskStates) {
      if (partition?.workflow !== write.workflow || partition.runKey !== write.runKey) {
        partition = this.#partitionFor(write.workflow, write.runKey);
      }
      partition.write(write);
    }
    let log: AttemptLog | undefined;
    for (const attempt of batch.attempts) {
      if (log?.runId !== attempt.runId) {
        log = this.#attempts.get(attempt.runId);
        if (!log) {
          log = new AttemptLog(attempt.runId);
          this.#attempts.set(attempt.runId, log);
        }
      }
      log.append(attempt);
    }
  }

  #partitionFor(workflow: string, runKey: string): StateTable {
    let byRunKey = this.#partitions.get(workflow);
    if (!byRunKey) {
      byRunKey = new Map();
      this.#partitions.set(workflow, byRunKey);
    }
    let partition = byRunKey.get(runKey);
    if (!partition) {
      partition = new StateTable(workflow, runKey);
      byRunKey.set(runKey, partition);
    }
    return partition;
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
    return this.#attempts.get(runId)?.records() ?? [];
  }

  async listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]> {
    const states: StoredTaskState[] = [];
    for (const [key, partition] of this.#partitions.get(workflow) ?? []) {
      if (runKey !== undefined && key !== runKey) continue;
      for (const state of partition.states()) states.push(state);
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

  #partition(workflow: string, runKey: string): StateTable | undefined {
    return this.#partitions.get(workflow)?.get(runKey);
  }
}
