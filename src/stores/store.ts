import type { SerializedError } from "../core/errors.js";
import type { EncodedValue } from "../core/serialization.js";

/**
 * The contract every state store implements (memory, JSON, SQLite, PostgreSQL), checked
 * by one shared suite (`test/stores/contract.ts`). A store owns its connection or file;
 * nothing of its driver leaks through this interface. All methods are async so a
 * network store fits. Two are optional and synchronous, for stores whose driver is:
 * `readResultSync`, to answer `task.result` after a large result was released from
 * memory, and `commitSync`, which spares a run of many short tasks a promise and an
 * event-loop turn per commit group.
 */
export interface StateStore {
  /** What the store is, for messages: `sqlite:/path/state.db`, `json:…`, `memory:`. */
  readonly location: string;
  /**
   * False for stores that keep values as they are (memory): the scheduler then hands them
   * live values and never releases results from memory.
   */
  readonly persistent: boolean;

  /**
   * Takes the store's lock on `workflow` for one execution, or throws StoreLockedError
   * naming the holder. A lock whose holder process is dead is taken over.
   */
  acquireLock(workflow: string, owner: LockOwner): Promise<StoreLock>;

  /** Current states of `workflow`'s tasks in partition `runKey`, by task name. */
  loadTaskStates(workflow: string, runKey: string): Promise<Map<string, StoredTaskState>>;
  /** A completed task's stored result, decoded; undefined when there is none. */
  loadResult(workflow: string, runKey: string, task: string): Promise<unknown>;
  /** The same, synchronously, for stores that can (SQLite, JSON, memory). */
  readResultSync?(workflow: string, runKey: string, task: string): unknown;

  /** Writes a group of changes as one atomic, durable commit. */
  commit(batch: StoreBatch): Promise<void>;
  /**
   * The same, done before it returns, for stores whose driver is synchronous (memory,
   * SQLite); throws on failure. The commit is durable on return. It may also return a
   * promise of work to finish before the next commit (SQLite checkpoints a large commit
   * on its own, after a few event-loop turns); its dependents wait for that too.
   */
  commitSync?(batch: StoreBatch): Promise<void> | undefined;

  /** Forgets the states and history of one workflow, or of all of them. */
  clearAllStates(workflow?: string): Promise<void>;

  /** History, newest first. */
  listRuns(query?: RunQuery): Promise<RunRecord[]>;
  listAttempts(runId: string): Promise<AttemptRecord[]>;
  /** Every stored task state of a workflow, in every run key unless one is given. */
  listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]>;
  /** Names of the workflows the store knows, sorted. */
  listWorkflows(): Promise<string[]>;

  /** Releases files and connections. Safe to call twice. */
  close(): Promise<void>;

  /**
   * Payloads handed between processes that share this store, kept apart from task states:
   * a BullMQExecutor worker puts a large result here and its coordinator takes it, so
   * large values never sit in Redis. Optional: without it they travel in the queue.
   */
  readonly payloads?: PayloadStash;
}

/** See {@link StateStore.payloads}. Keys are unique per task attempt. */
export interface PayloadStash {
  /** Keeps `value` under `key`, replacing any; `clearAllStates(workflow)` drops it. */
  put(workflow: string, key: string, value: EncodedValue): Promise<void>;
  /** The payload kept under `key`, which the store then forgets; undefined when none. */
  take(key: string): Promise<EncodedValue | undefined>;
}

/** Who holds (or asks for) a lock. */
export interface LockOwner {
  readonly runId: string;
  readonly pid: number;
  readonly host: string;
}

export interface StoreLock {
  release(): Promise<void>;
}

export type RunStatus = "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
export type StoredTaskStatus = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "SKIPPED";
export type AttemptStatus = "RUNNING" | "COMPLETED" | "FAILED";

/** The current state of one task in one partition (workflow, runKey, task). */
export interface StoredTaskState {
  readonly workflow: string;
  readonly runKey: string;
  readonly task: string;
  readonly status: StoredTaskStatus;
  /** The run that last wrote this state. */
  readonly runId: string;
  readonly attempts: number;
  /** Milliseconds since the epoch. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** Seconds. */
  readonly duration: number | undefined;
  /** The task's `version` option when it completed. */
  readonly version: string | undefined;
  readonly error: SerializedError | undefined;
  /** Whether a result is stored (only for COMPLETED). */
  readonly hasResult: boolean;
}

/** A state to write; `result` only with status COMPLETED. */
export interface TaskStateWrite extends Omit<StoredTaskState, "hasResult"> {
  /** Encoded for persistent stores; the live value for non-persistent ones. */
  readonly result?: EncodedValue | LiveValue;
}

/** A value handed as it is to a non-persistent store. */
export interface LiveValue {
  readonly kind: "live";
  readonly value: unknown;
}

export interface RunRecord {
  readonly runId: string;
  readonly workflow: string;
  readonly runKey: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  readonly error: SerializedError | undefined;
}

export interface AttemptRecord {
  readonly runId: string;
  readonly workflow: string;
  readonly task: string;
  readonly attempt: number;
  readonly status: AttemptStatus;
  readonly startedAt: number;
  readonly finishedAt: number | undefined;
  readonly error: SerializedError | undefined;
}

/** One commit group. Later entries for the same key replace earlier ones. */
export interface StoreBatch {
  readonly runs: readonly RunRecord[];
  readonly taskStates: readonly TaskStateWrite[];
  readonly attempts: readonly AttemptRecord[];
}

export interface RunQuery {
  readonly workflow?: string;
  readonly runId?: string;
  /** @default 50 */
  readonly limit?: number;
}

/** How hard a store works to keep a commit. */
export type Durability = "normal" | "full";
