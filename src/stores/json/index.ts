import { hostname } from "node:os";
import path from "node:path";
import { ConfigurationError, StoreLockedError } from "../../core/errors.js";
import { LockFile } from "../file-lock.js";
import { storeClosed } from "../shared/closed.js";
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
import { encodeBatch, encodeClear } from "./batch.js";
import { Journal, type JSONStateStoreStats } from "./journal.js";
import type { LiveState } from "./live-state.js";
import {
  checkName,
  checkOwner,
  checkPath,
  checkQuery,
  type JSONStateStoreOptions,
  resolveOptions,
} from "./options.js";

export type { JSONStateStoreStats } from "./journal.js";
export type { JSONStateStoreOptions } from "./options.js";

/**
 * Keeps state in one file that stays readable in a text editor: a journal of JSON lines
 * (a header, then one record per line: runs, task states with their results inline,
 * attempts) to which each commit appends, compacted now and then. A crash at any instant
 * leaves at worst a torn final commit, which is dropped on reading; a damaged or foreign
 * file is refused and left as it is.
 *
 * One process writes at a time: while a workflow runs on the file, the store holds
 * `<path>.lock`, and another process is refused (reading needs no lock, so a CLI can look
 * at a file in use). Results stay on disk and are read back when asked for.
 *
 * @example
 * const stateStore = new JSONStateStore(".flowweaver/state.json");
 * await new SequentialExecutor({ stateStore }).execute(wf);
 */
export class JSONStateStore implements StateStore, AsyncDisposable {
  readonly location: string;
  readonly persistent = true;
  /** The journal's absolute path. */
  readonly path: string;
  readonly durability: Durability;
  readonly #journal: Journal;
  readonly #lockPath: string;
  /** Writes, compactions and lock changes run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  /** The workflows running on this store in this process, and who runs them. */
  readonly #holders = new Map<string, LockOwner>();
  #writerReady: Promise<void> | undefined;
  #fileLock: LockFile | undefined;
  #compactionQueued = false;
  #closing: Promise<void> | undefined;

  constructor(file: string, options?: JSONStateStoreOptions) {
    checkPath(file);
    const resolved = resolveOptions(options);
    this.path = path.resolve(file);
    this.durability = resolved.durability;
    this.#lockPath = `${this.path}.lock`;
    this.#journal = new Journal(this.path, resolved);
    this.location = this.#journal.location;
  }

  /** What the store did since it was opened: commits, bytes written, compactions. */
  get stats(): JSONStateStoreStats {
    return this.#journal.stats;
  }

  async acquireLock(workflow: string, owner: LockOwner): Promise<StoreLock> {
    this.#checkOpen("acquireLock");
    checkName("acquireLock", "workflow", workflow);
    checkOwner(owner);
    const holder = this.#holders.get(workflow);
    if (holder) {
      const who = `run ${holder.runId} (pid ${holder.pid} on host "${holder.host}")`;
      throw new StoreLockedError(
        `Workflow "${workflow}" is already running on the JSON state store ${this.path} in this process, ${who}; wait for that run to finish.`,
        who,
      );
    }
    this.#holders.set(workflow, owner);
    // The first lock of this store takes the file's lock; later ones share it.
    this.#writerReady ??= this.#enqueue(() => this.#becomeWriter(owner));
    const ready = this.#writerReady;
    try {
      await ready;
    } catch (error) {
      if (this.#holders.get(workflow) === owner) this.#holders.delete(workflow);
      if (this.#writerReady === ready) this.#writerReady = undefined;
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        if (this.#holders.get(workflow) !== owner) return;
        this.#holders.delete(workflow);
        if (this.#holders.size > 0) return;
        this.#writerReady = undefined;
        await this.#enqueue(async () => {
          if (this.#holders.size === 0) this.#dropWriter();
        });
      },
    };
  }

  async loadTaskStates(workflow: string, runKey: string): Promise<Map<string, StoredTaskState>> {
    this.#checkOpen("loadTaskStates");
    checkName("loadTaskStates", "workflow", workflow);
    checkName("loadTaskStates", "runKey", runKey);
    const states = new Map<string, StoredTaskState>();
    for (const [task, entry] of this.#read().partition(workflow, runKey) ?? []) {
      states.set(task, entry.state);
    }
    return states;
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    return this.readResultSync(workflow, runKey, task);
  }

  /** Reads a stored result from the file and decodes it; nothing of it stays in memory. */
  readResultSync(workflow: string, runKey: string, task: string): unknown {
    if (this.#closing !== undefined) {
      // `task.result` must answer after the store was closed (results leave memory once
      // stored), so read it through a short-lived reader of the same file.
      const reader = new JSONStateStore(this.path, { durability: this.durability });
      try {
        return reader.readResultSync(workflow, runKey, task);
      } finally {
        void reader.close();
      }
    }
    this.#checkOpen("readResultSync");
    checkName("readResultSync", "workflow", workflow);
    checkName("readResultSync", "runKey", runKey);
    checkName("readResultSync", "task", task);
    const result = this.#read().partition(workflow, runKey)?.get(task)?.result;
    if (result === undefined) return undefined;
    return this.#journal.readResult(
      result,
      `the stored result of task "${task}" (workflow "${workflow}", run key "${runKey}")`,
    );
  }

  async commit(batch: StoreBatch): Promise<void> {
    this.#checkOpen("commit");
    const encoded = encodeBatch(batch);
    if (encoded.lines === 0) return;
    await this.#write(() => this.#journal.append(encoded));
    this.#maybeCompact();
  }

  async clearAllStates(workflow?: string): Promise<void> {
    this.#checkOpen("clearAllStates");
    if (workflow !== undefined) checkName("clearAllStates", "workflow", workflow);
    await this.#write(() => this.#journal.append(encodeClear(workflow)));
    this.#maybeCompact();
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.#checkOpen("listRuns");
    checkQuery(query);
    return this.#read().listRuns(query);
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    this.#checkOpen("listAttempts");
    checkName("listAttempts", "runId", runId);
    return this.#read().listAttempts(runId);
  }

  async listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]> {
    this.#checkOpen("listTaskStates");
    checkName("listTaskStates", "workflow", workflow);
    if (runKey !== undefined) checkName("listTaskStates", "runKey", runKey);
    return this.#read().listTaskStates(workflow, runKey);
  }

  async listWorkflows(): Promise<string[]> {
    this.#checkOpen("listWorkflows");
    return this.#read().listWorkflows();
  }

  /** Waits for pending writes, releases the lock file and closes the journal. Safe twice. */
  close(): Promise<void> {
    this.#closing ??= this.#queue.then(() => {
      this.#holders.clear();
      this.#writerReady = undefined;
      this.#dropWriter();
      this.#journal.close();
    });
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The live state, caught up with other processes' writes unless this store is the writer. */
  #read(): LiveState {
    if (!this.#fileLock) this.#journal.refresh();
    return this.#journal.live;
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** Runs a write as the file's writer: under the held lock, or taking it for this write. */
  #write(op: () => Promise<void>): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#fileLock) return op();
      await this.#becomeWriter(directOwner());
      try {
        await op();
      } finally {
        this.#dropWriter();
      }
    });
  }

  /** Takes the lock file, catches up with the file and readies it for appending. */
  async #becomeWriter(owner: LockOwner): Promise<void> {
    if (this.#fileLock) return;
    let lock: LockFile;
    try {
      lock = LockFile.acquire(this.#lockPath, owner, `The JSON state store ${this.path}`);
    } catch (error) {
      if (error instanceof StoreLockedError) throw error;
      throw new ConfigurationError(
        `Cannot lock the JSON state store ${this.path}: writing its lock file ${this.#lockPath} failed (${(error as Error).message}).`,
        { cause: error },
      );
    }
    try {
      this.#journal.refresh();
      this.#journal.prepareForAppends();
    } catch (error) {
      lock.release();
      throw error;
    }
    this.#fileLock = lock;
    if (this.#journal.shouldCompact()) await this.#journal.compact();
  }

  #dropWriter(): void {
    const lock = this.#fileLock;
    this.#fileLock = undefined;
    lock?.release();
  }

  /** Queues a compaction when one is due; it runs after the commits queued before it. */
  #maybeCompact(): void {
    if (this.#compactionQueued || this.#closing !== undefined) return;
    if (!this.#journal.shouldCompact()) return;
    this.#compactionQueued = true;
    this.#enqueue(async () => {
      this.#compactionQueued = false;
      if (this.#closing !== undefined || !this.#journal.shouldCompact()) return;
      if (this.#fileLock) return this.#journal.compact();
      // Nothing runs here now: take the lock for the compaction (becomeWriter compacts).
      try {
        await this.#becomeWriter(directOwner());
      } finally {
        this.#dropWriter();
      }
    }).catch(() => {
      // Another process writes the file now, and compacts it when due.
    });
  }

  #checkOpen(method: string): void {
    if (this.#closing !== undefined) {
      throw storeClosed(
        `JSONStateStore.${method}(): the store ${this.path} is closed. Open a new JSONStateStore.`,
      );
    }
  }
}

/** The lock owner for a write made outside any run (a direct commit, a clear). */
function directOwner(): LockOwner {
  return { runId: "(no run: a direct write)", pid: process.pid, host: hostname() };
}
