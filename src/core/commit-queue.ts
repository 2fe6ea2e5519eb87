import type {
  AttemptRecord,
  RunRecord,
  StateStore,
  StoreBatch,
  TaskStateWrite,
} from "../stores/store.js";

/**
 * Groups store writes into commits. Everything queued until the next turn of the event
 * loop goes into one `store.commit`; work that must wait for durability (releasing a
 * completion to its dependents) is queued with {@link afterCommit} and runs once the
 * commit holding it has succeeded. One commit is in flight at a time, so groups land in
 * order. Later writes to the same task state or attempt replace earlier ones in a group.
 */
export class CommitQueue {
  readonly #store: StateStore;
  readonly #onError: (error: unknown) => void;
  #runs: RunRecord[] = [];
  #states = new Map<string, TaskStateWrite>();
  #attempts = new Map<string, AttemptRecord>();
  #after: (() => void)[] = [];
  #scheduled = false;
  #committing: Promise<void> | undefined;
  #failed: unknown;

  constructor(store: StateStore, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onError = onError;
  }

  addRun(run: RunRecord): void {
    this.#runs.push(run);
    this.#schedule();
  }

  addTaskState(state: TaskStateWrite): void {
    this.#states.set(state.task, state);
    this.#schedule();
  }

  addAttempt(attempt: AttemptRecord): void {
    this.#attempts.set(`${attempt.task}\u0000${attempt.attempt}`, attempt);
    this.#schedule();
  }

  /** Runs `then` once everything queued so far is durable. */
  afterCommit(then: () => void): void {
    this.#after.push(then);
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
      this.#states.size > 0 ||
      this.#attempts.size > 0 ||
      this.#after.length > 0
    );
  }

  #schedule(): void {
    if (this.#scheduled || this.#committing !== undefined || this.#failed !== undefined) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#committing === undefined) void this.#flush();
    });
  }

  #flush(): Promise<void> {
    const batch: StoreBatch = {
      runs: this.#runs,
      taskStates: [...this.#states.values()],
      attempts: [...this.#attempts.values()],
    };
    const after = this.#after;
    this.#runs = [];
    this.#states = new Map();
    this.#attempts = new Map();
    this.#after = [];
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
        this.#onError(error);
        return;
      } finally {
        this.#committing = undefined;
      }
      for (const then of after) then();
      if (this.#hasWork()) this.#schedule();
    })();
    this.#committing = commit;
    return commit;
  }
}
