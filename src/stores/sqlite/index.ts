import { resolve } from "node:path";
import { show } from "../../core/duration.js";
import { ConfigurationError, errorCode, FlowWeaverError } from "../../core/errors.js";
import { checkRunQuery, isFilePath, requireText } from "../shared/arguments.js";
import { closedStoreError } from "../shared/closed.js";
import { type OptionsShape, readDurability, readOptionsObject } from "../shared/options.js";
import type {
  AttemptRecord,
  Durability,
  LockOwner,
  RunQuery,
  RunRecord,
  StateStore,
  StoreBatch,
  StoredTaskState,
  StoreLock,
} from "../store.js";
import { BUSY_TIMEOUT_MS, checkpointLargeCommit, openDatabase } from "./connection.js";
import { type Database, sqliteDriver } from "./driver.js";
import { SQLiteLocks } from "./lock.js";
import { ResultReader } from "./results.js";
import { Statements } from "./statements.js";

/** Options of {@link SQLiteStateStore}. */
export interface SQLiteStateStoreOptions {
  /**
   * `"normal"` survives a crash of the process (WAL with `synchronous=NORMAL`); `"full"`
   * also survives power loss (`synchronous=FULL`), at the cost of a sync per commit.
   * @default "normal"
   */
  readonly durability?: Durability;
}

const OPTIONS: OptionsShape = {
  call: "new SQLiteStateStore(path, options)",
  example: '{ durability: "full" }',
  names: ["durability"],
};

/**
 * Keeps task states, results and run history in a SQLite file (through better-sqlite3,
 * loaded only when a store is created). Several processes can share the file: each
 * workflow is locked while it runs, and a lock left by a dead process is taken over.
 * Missing parent directories are created; a file that is not a FlowWeaver store, or one
 * from a newer schema, is refused and left untouched.
 *
 * @example
 * const stateStore = new SQLiteStateStore(".flowweaver/state.db");
 * await new SequentialExecutor({ stateStore }).execute(wf); // a second run resumes
 * await stateStore.close();
 */
export class SQLiteStateStore implements StateStore, AsyncDisposable {
  readonly location: string;
  readonly persistent = true;
  /** The absolute path of the database file (or `:memory:`). */
  readonly path: string;
  readonly durability: Durability;
  #db: Database | undefined;
  readonly #statements: Statements;
  readonly #locks: SQLiteLocks;

  /**
   * Opens the store at `path` (created with its parent directories when missing), or
   * throws: StoreCorruptError for a file that is not a FlowWeaver store, StoreVersionError
   * for one from a newer FlowWeaver, ConfigurationError for a path that cannot be used.
   * `":memory:"` keeps everything in this process's memory, gone at `close()` (for tests).
   */
  constructor(path: string, options: SQLiteStateStoreOptions = {}) {
    if (!isFilePath(path)) {
      throw new ConfigurationError(
        `new SQLiteStateStore(path): path must be a non-empty file path such as ".flowweaver/state.db"; got ${show(path)}.`,
      );
    }
    const given = readOptionsObject(options, OPTIONS);
    this.durability = readDurability(given.durability, "SQLiteStateStore");
    this.path = path === ":memory:" ? path : resolve(path);
    this.location = `sqlite:${this.path}`;
    const db = openDatabase(this.path, this.durability, this.location);
    this.#db = db;
    this.#statements = new Statements(db, this.location);
    this.#locks = new SQLiteLocks(db, this.location);
  }

  async acquireLock(workflow: string, owner: LockOwner): Promise<StoreLock> {
    this.#open("acquireLock");
    requireText("acquireLock", "workflow", workflow);
    return this.#writing("acquireLock", () => this.#locks.acquire(workflow, owner));
  }

  async loadTaskStates(workflow: string, runKey: string): Promise<Map<string, StoredTaskState>> {
    this.#open("loadTaskStates");
    return this.#statements.loadTaskStates(workflow, runKey);
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    return this.readResultSync(workflow, runKey, task);
  }

  readResultSync(workflow: string, runKey: string, task: string): unknown {
    if (!this.#db && this.path !== ":memory:") {
      // `task.result` must answer after the store was closed (results leave memory once
      // stored), so read it through a short-lived read-only connection.
      const db = new (sqliteDriver())(this.path, { readonly: true, fileMustExist: true });
      try {
        return new ResultReader(db, this.location).read(workflow, runKey, task);
      } finally {
        db.close();
      }
    }
    this.#open("reading a stored result");
    return this.#statements.readResult(workflow, runKey, task);
  }

  async commit(batch: StoreBatch): Promise<void> {
    await this.commitSync(batch);
  }

  commitSync(batch: StoreBatch): Promise<void> | undefined {
    const db = this.#open("commit");
    const large = this.#writing("commit", () => this.#statements.commit(batch));
    // The caller waits for the checkpoint too: the run's next commit does not overlap it,
    // and the tasks this commit releases start after it (see checkpointLargeCommit for why).
    return large ? checkpointLargeCommit(db, () => this.#db === db) : undefined;
  }

  async clearAllStates(workflow?: string): Promise<void> {
    this.#open("clearAllStates");
    if (workflow !== undefined) requireText("clearAllStates", "workflow", workflow);
    this.#writing("clearAllStates", () => this.#statements.clear(workflow));
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.#open("listRuns");
    const { workflow, runId, limit } = checkRunQuery(query);
    return this.#statements.listRuns(workflow, runId, limit);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    this.#open("listAttempts");
    requireText("listAttempts", "runId", runId);
    return this.#statements.listAttempts(runId);
  }

  async listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]> {
    this.#open("listTaskStates");
    requireText("listTaskStates", "workflow", workflow);
    if (runKey !== undefined) requireText("listTaskStates", "runKey", runKey);
    return this.#statements.listTaskStates(workflow, runKey);
  }

  async listWorkflows(): Promise<string[]> {
    this.#open("listWorkflows");
    return this.#statements.listWorkflows();
  }

  /** Releases the locks this store holds and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    const db = this.#db;
    if (!db) return;
    try {
      this.#locks.releaseAll();
    } finally {
      this.#db = undefined;
      db.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs a write; a write lock held elsewhere past the busy timeout becomes a clear error. */
  #writing<T>(operation: string, write: () => T): T {
    try {
      return write();
    } catch (error) {
      if (errorCode(error)?.startsWith("SQLITE_BUSY")) {
        throw new FlowWeaverError(
          `State store ${this.location} stayed busy for more than ${BUSY_TIMEOUT_MS / 1000} s during ${operation}: another process held its write lock all that time. Try again; if it keeps happening, look for a process stuck inside a transaction on this file.`,
          { code: "STORE_BUSY", cause: error },
        );
      }
      throw error;
    }
  }

  #open(operation: string): Database {
    if (!this.#db) throw closedStoreError("SQLiteStateStore", this.location, operation, "the file");
    return this.#db;
  }
}
