import type {
  AttemptRecord,
  RunRecord,
  StateStore,
  StoreBatch,
  TaskStateWrite,
} from "../stores/store.js";

/** What the scheduler hears from the queue. */
export interface CommitListener {
  /** Called just before a group is taken, to add writes that describe "now" (running tasks). */
  beforeCommit(): void;
  /** Called once a group is durable, with the tokens queued by {@link CommitQueue.release}. */
  committed(tokens: readonly number[]): void;
  /** A commit failed: nothing after it can be stored. */
  failed(error: unknown): void;
}

/**
 * Groups store writes into commits. Everything queued until the next turn of the event
 * loop goes into one `store.commit`; work that must wait for durability (handing a
 * completion to its dependents) is queued as a token with {@link release} and handed back
 * once the commit holding it has succeeded. One commit is in flight at a time, so groups
 * land in order.
 */
export class CommitQueue {
  readonly #store: StateStore;
  readonly #listener: CommitListener;
  #runs: RunRecord[] = [];
  #states: TaskStateWrite[] = [];
  #attempts: AttemptRecord[] = [];
  #tokens: number[] = [];
  /** The pending grouped flush; cleared when drain() flushes first, so none is left behind. */
  #scheduled: NodeJS.Immediate | undefined;
  #committing: Promise<void> | undefined;
  #failed: unknown;
  readonly #flushSoon = () => {
    this.#scheduled = undefined;
    if (this.#committing === undefined) void this.#flush();
  };

  constructor(store: StateStore, listener: CommitListener) {
    this.#store = store;
    this.#listener = listener;
  }

  addRun(run: RunRecord): void {
    this.#runs.push(run);
    this.#schedule();
  }

  addTaskState(state: TaskStateWrite): void {
    this.#states.push(state);
    this.#schedule();
  }

  addAttempt(attempt: AttemptRecord): void {
    this.#attempts.push(attempt);
    this.#schedule();
  }

  /** Hands `token` back through `committed` once everything queued so far is durable. */
  release(token: number): void {
    this.#tokens.push(token);
    this.#schedule();
  }

  /** Asks for a commit soon even with nothing queued (so `beforeCommit` runs). */
  poke(): void {
    this.#schedule();
  }

  /** Commits everything queued and waits for it; rethrows a commit failure. */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#failed !== undefined) throw this.#failed;
      if (this.#committing !== undefined) {
        await this.#committing;
        continue;
      }
      if (!this.#hasWork()) return;
      await this.#flush();
    }
  }

  #hasWork(): boolean {
    return (
      this.#runs.length > 0 ||
      this.#states.length > 0 ||
      this.#attempts.length > 0 ||
      this.#tokens.length > 0
    );
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing !== undefined || this.#failed !== undefined) return;
    this.#scheduled = setImmediate(this.#flushSoon);
  }

  #flush(): Promise<void> {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    this.#listener.beforeCommit();
    const batch: StoreBatch = {
      runs: this.#runs,
      taskStates: this.#states,
      attempts: this.#attempts,
    };
    const tokens = this.#tokens;
    this.#runs = [];
    this.#states = [];
    this.#attempts = [];
    this.#tokens = [];
    const commit = (async () => {
      try {
        // Always await once, so #committing is set before this clears it.
        if (batch.runs.length || batch.taskStates.length || batch.attempts.length) {
          await this.#store.commit(batch);
        } else {
          await undefined;
        }
      } catch (error) {
        this.#failed = error;
        this.#listener.failed(error);
        return;
      } finally {
        this.#committing = undefined;
      }
      if (tokens.length > 0) this.#listener.committed(tokens);
      if (this.#hasWork()) this.#schedule();
    })();
    this.#committing = commit;
    return commit;
  }
}
