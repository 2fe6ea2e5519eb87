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
  /** Whether attempts are running, whose completions could still join the next group. */
  attemptsRunning(): boolean;
}

/**
 * How long a store that commits synchronously may keep the event loop busy committing
 * group after group before the queue yields a turn (to timers, I/O and abort signals).
 */
const SLICE_MS = 4;

/**
 * Groups store writes into commits. Everything queued until the next turn of the event
 * loop goes into one `store.commit`; work that must wait for durability (handing a
 * completion to its dependents) is queued as a token with {@link release} and handed back
 * once the commit holding it has succeeded. One commit is in flight at a time, so groups
 * land in order.
 *
 * With a store that commits synchronously (`commitSync`), a group whose tasks all ended
 * is committed at once, and so is the next one while nothing is running, for up to
 * {@link SLICE_MS}: with no attempt running, no other completion could join the group by
 * waiting for the next turn of the event loop.
 */
export class CommitQueue {
  readonly #store: StateStore;
  readonly #listener: CommitListener;
  #runs: RunRecord[] = [];
  #states: TaskStateWrite[] = [];
  #attempts: AttemptRecord[] = [];
  #tokens: number[] = [];
  /** A commit was asked for with nothing queued (see {@link poke}). */
  #poked = false;
  /** The pending grouped flush; cleared when drain() flushes first, so none is left behind. */
  #scheduled: NodeJS.Immediate | undefined;
  #committing: Promise<void> | undefined;
  /** Inside a synchronous commit loop: additions wait for it, not for a new turn. */
  #inSyncLoop = false;
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
    this.#poked = true;
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
      this.#tokens.length > 0 ||
      this.#poked
    );
  }

  #schedule(): void {
    if (
      this.#scheduled ||
      this.#inSyncLoop ||
      this.#committing !== undefined ||
      this.#failed !== undefined
    ) {
      return;
    }
    this.#scheduled = setImmediate(this.#flushSoon);
  }

  #flush(): Promise<void> | undefined {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
    }
    if (this.#store.commitSync) {
      this.#flushSync();
      return undefined;
    }
    const { batch, tokens } = this.#take();
    const store = this.#store;
    return this.#finishLater(() => (hasWrites(batch) ? store.commit(batch) : undefined), tokens);
  }

  /** Commits group after group while nothing runs that could join one, within a slice. */
  #flushSync(): void {
    const store = this.#store;
    const sliceEnd = performance.now() + SLICE_MS;
    this.#inSyncLoop = true;
    try {
      do {
        const { batch, tokens } = this.#take();
        let followUp: Promise<void> | undefined;
        if (hasWrites(batch)) {
          try {
            followUp = store.commitSync?.(batch);
          } catch (error) {
            this.#fail(error);
            return;
          }
        }
        if (followUp !== undefined) {
          void this.#finishLater(() => followUp, tokens);
          return;
        }
        if (tokens.length > 0) this.#listener.committed(tokens);
      } while (
        this.#hasWork() &&
        !this.#listener.attemptsRunning() &&
        performance.now() < sliceEnd
      );
    } finally {
      this.#inSyncLoop = false;
    }
    if (this.#hasWork()) this.#schedule();
  }

  /**
   * Waits for a commit (or what a synchronous one left to do), then hands its tokens back.
   * `#committing` is set for that time, so the next group waits and groups land in order.
   */
  #finishLater(work: () => Promise<void> | undefined, tokens: readonly number[]): Promise<void> {
    const commit = (async () => {
      try {
        // Always awaits once, so #committing is set before this clears it.
        await work();
      } catch (error) {
        this.#fail(error);
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

  #fail(error: unknown): void {
    this.#failed = error;
    this.#listener.failed(error);
  }

  /** Everything queued, as one batch and its tokens; the queue starts empty again. */
  #take(): { batch: StoreBatch; tokens: number[] } {
    this.#poked = false;
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
    return { batch, tokens };
  }
}

function hasWrites(batch: StoreBatch): boolean {
  return batch.runs.length > 0 || batch.taskStates.length > 0 || batch.attempts.length > 0;
}
