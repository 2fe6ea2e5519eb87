import type { AttemptRecord, RunQuery, RunRecord, StoredTaskState } from "../store.js";
import type { JournalRecord, ResultRef } from "./format.js";

/** A current task state, where its result is, and where its journal line is. */
export interface TaskEntry {
  readonly state: StoredTaskState;
  result: ResultRef | undefined;
  /** Byte offset of the line: compaction copies results in file order. */
  line: number;
  bytes: number;
}

/** A history record and the bytes its journal line takes. */
export interface Sized<T> {
  readonly record: T;
  bytes: number;
}

/**
 * The live state of a journal, in memory: what the records not yet superseded say, with
 * results as byte ranges rather than values. Also counts the bytes those records take,
 * which tells how much of the journal is dead weight and when compacting pays.
 */
export class LiveState {
  /** workflow → runKey → task → entry */
  readonly #tasks = new Map<string, Map<string, Map<string, TaskEntry>>>();
  /** In the order runs first appeared, which breaks ties between equal start times. */
  readonly #runs = new Map<string, Sized<RunRecord>>();
  /** runId → `task\0attempt` → record */
  readonly #attempts = new Map<string, Map<string, Sized<AttemptRecord>>>();
  #bytes = 0;

  /** Bytes the live records take in the journal, newlines included. */
  get liveBytes(): number {
    return this.#bytes;
  }

  /** Applies a committed record whose line starts at `offset` and takes `bytes`. */
  apply(record: JournalRecord, bytes: number, offset: number): void {
    switch (record.type) {
      case "run": {
        // Map#set on an existing key keeps its place: runs stay in first-seen order.
        this.#bytes += bytes - (this.#runs.get(record.run.runId)?.bytes ?? 0);
        this.#runs.set(record.run.runId, { record: record.run, bytes });
        return;
      }
      case "attempt": {
        const { attempt } = record;
        let byRun = this.#attempts.get(attempt.runId);
        if (!byRun) {
          byRun = new Map();
          this.#attempts.set(attempt.runId, byRun);
        }
        const key = `${attempt.task}\u0000${attempt.attempt}`;
        this.#bytes += bytes - (byRun.get(key)?.bytes ?? 0);
        byRun.set(key, { record: attempt, bytes });
        return;
      }
      case "task": {
        const { state } = record;
        let byKey = this.#tasks.get(state.workflow);
        if (!byKey) {
          byKey = new Map();
          this.#tasks.set(state.workflow, byKey);
        }
        let partition = byKey.get(state.runKey);
        if (!partition) {
          partition = new Map();
          byKey.set(state.runKey, partition);
        }
        this.#bytes += bytes - (partition.get(state.task)?.bytes ?? 0);
        partition.set(state.task, { state, result: record.result, line: offset, bytes });
        return;
      }
      case "clear":
        this.#clear(record.workflow);
        return;
    }
  }

  partition(workflow: string, runKey: string): ReadonlyMap<string, TaskEntry> | undefined {
    return this.#tasks.get(workflow)?.get(runKey);
  }

  /** Every task entry, for compaction and for re-pointing results after it. */
  *taskEntries(): IterableIterator<TaskEntry> {
    for (const byKey of this.#tasks.values()) {
      for (const partition of byKey.values()) yield* partition.values();
    }
  }

  runs(): IterableIterator<Sized<RunRecord>> {
    return this.#runs.values();
  }

  *attempts(): IterableIterator<Sized<AttemptRecord>> {
    for (const byRun of this.#attempts.values()) yield* byRun.values();
  }

  /** Recounts the live bytes after compaction rewrote every line. */
  resetBytes(bytes: number): void {
    this.#bytes = bytes;
  }

  listRuns(query: RunQuery): RunRecord[] {
    const runs: RunRecord[] = [];
    for (const { record } of this.#runs.values()) {
      if (query.workflow !== undefined && record.workflow !== query.workflow) continue;
      if (query.runId !== undefined && record.runId !== query.runId) continue;
      runs.push(record);
    }
    // Newest first; the later-seen run first among runs started in the same millisecond.
    return runs
      .reverse()
      .sort((a, b) => b.startedAt - a.startedAt)
      .slice(0, query.limit ?? 50);
  }

  listAttempts(runId: string): AttemptRecord[] {
    return [...(this.#attempts.get(runId)?.values() ?? [])]
      .map((entry) => entry.record)
      .sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  }

  listTaskStates(workflow: string, runKey: string | undefined): StoredTaskState[] {
    const byKey = this.#tasks.get(workflow);
    if (!byKey) return [];
    const partitions = runKey === undefined ? [...byKey.values()] : [byKey.get(runKey)];
    const states: StoredTaskState[] = [];
    for (const partition of partitions) {
      for (const entry of partition?.values() ?? []) states.push(entry.state);
    }
    return states;
  }

  listWorkflows(): string[] {
    const names = new Set(this.#tasks.keys());
    for (const { record } of this.#runs.values()) names.add(record.workflow);
    return [...names].sort();
  }

  #clear(workflow: string | undefined): void {
    if (workflow === undefined) {
      this.#tasks.clear();
      this.#runs.clear();
      this.#attempts.clear();
      this.#bytes = 0;
      return;
    }
    for (const partition of this.#tasks.get(workflow)?.values() ?? []) {
      for (const entry of partition.values()) this.#bytes -= entry.bytes;
    }
    this.#tasks.delete(workflow);
    for (const [runId, run] of this.#runs) {
      if (run.record.workflow !== workflow) continue;
      this.#bytes -= run.bytes;
      this.#runs.delete(runId);
    }
    for (const [runId, byRun] of this.#attempts) {
      for (const [key, attempt] of byRun) {
        if (attempt.record.workflow !== workflow) continue;
        this.#bytes -= attempt.bytes;
        byRun.delete(key);
      }
      if (byRun.size === 0) this.#attempts.delete(runId);
    }
  }
}
