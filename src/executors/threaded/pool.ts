/**
 * A pool of worker threads, each running one attempt at a time.
 *
 * Written on `worker_threads` directly rather than on piscina because the executor needs
 * per-thread control that piscina keeps to itself:
 * - one ordered channel per thread carries an attempt's `started` (which starts its
 *   timeout), its log lines and its outcome, so none can overtake another;
 * - on timeout or cancellation the attempt's own thread is first sent an abort message
 *   (its `ctx.signal` fires) and then terminated, and only that thread is replaced;
 * - a thread that dies (`process.exit`, an uncaught error, out of heap) is attributed to
 *   exactly the attempt it was running, with its exit code or error;
 * - idle threads are unref'd so they never keep the process alive, busy ones are ref'd.
 */
import { type ResourceLimits, Worker } from "node:worker_threads";
import { FlowWeaverError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { FromWorker, ToWorker, WorkerBootData } from "./protocol.js";

/** How a thread ended when nobody asked it to. */
export interface ThreadDeath {
  readonly exitCode: number;
  /** The uncaught error or resource-limit error the thread reported, if any. */
  readonly error: Error | undefined;
}

/** Whoever is using a thread receives its messages and, should it die, its death. */
export interface ThreadUser {
  onMessage(message: FromWorker): void;
  onDeath(death: ThreadDeath): void;
}

/** One worker thread of the pool. */
export class PooledThread {
  user: ThreadUser | undefined;
  /** Set once the pool terminates the thread: its exit is then expected. */
  retired = false;
  lastError: Error | undefined;

  constructor(readonly worker: Worker) {}

  send(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}

export interface PoolOptions {
  readonly size: number;
  readonly bootstrap: URL;
  readonly boot: WorkerBootData;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly logger: Logger;
}

interface Waiter {
  readonly resolve: (thread: PooledThread) => void;
  readonly reject: (error: Error) => void;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #threads = new Set<PooledThread>();
  readonly #idle: PooledThread[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #terminating = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: PoolOptions) {
    this.#options = options;
  }

  /** Threads alive now (busy or idle). */
  get size(): number {
    return this.#threads.size;
  }

  /**
   * A thread for one attempt: an idle one, a new one while the pool is below its size, or
   * the next one released. Rejects with `signal.reason` if the signal aborts first.
   */
  acquire(signal?: AbortSignal): Promise<PooledThread> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    const idle = this.#idle.pop();
    if (idle) {
      idle.worker.ref();
      return Promise.resolve(idle);
    }
    if (this.#threads.size < this.#options.size) return Promise.resolve(this.#spawn());
    return new Promise<PooledThread>((resolve, reject) => {
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve: (thread) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(thread);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Gives a healthy thread back after its attempt settled. */
  release(thread: PooledThread): void {
    thread.user = undefined;
    if (thread.retired) return;
    if (this.#closed) {
      this.retire(thread);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(thread);
      return;
    }
    thread.worker.unref();
    this.#idle.push(thread);
  }

  /**
   * Terminates a thread (even one stuck in a synchronous loop) and frees its place; the
   * next acquire starts a fresh thread in its stead.
   */
  retire(thread: PooledThread): void {
    if (thread.retired) return;
    thread.retired = true;
    thread.user = undefined;
    this.#forget(thread);
    const ending = thread.worker.terminate().catch(() => undefined);
    this.#terminating.add(ending);
    void ending.finally(() => this.#terminating.delete(ending));
    this.#serveWaiter();
  }

  /** Terminates every thread; pending and later acquires fail. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closedError());
    for (const thread of [...this.#threads]) {
      const user = thread.user;
      this.retire(thread);
      user?.onDeath({ exitCode: 1, error: closedError() });
    }
    await Promise.all([...this.#terminating]);
  }

  #spawn(): PooledThread {
    const { bootstrap, boot, resourceLimits } = this.#options;
    const worker = new Worker(bootstrap, {
      workerData: boot,
      ...(resourceLimits ? { resourceLimits } : {}),
    });
    const thread = new PooledThread(worker);
    worker.on("message", (message: FromWorker) => thread.user?.onMessage(message));
    worker.on("error", (error: Error) => {
      thread.lastError = error;
    });
    worker.on("exit", (exitCode: number) => this.#died(thread, exitCode));
    this.#threads.add(thread);
    return thread;
  }

  #died(thread: PooledThread, exitCode: number): void {
    if (thread.retired) return;
    thread.retired = true;
    this.#forget(thread);
    const user = thread.user;
    thread.user = undefined;
    const death: ThreadDeath = { exitCode, error: thread.lastError };
    if (user) {
      user.onDeath(death);
    } else {
      // A timer or promise left behind by a finished task can still crash an idle thread.
      this.#options.logger.warn(
        { exitCode, error: death.error },
        "a FlowWeaver worker thread died while idle (a task probably left a timer or promise behind); it will be replaced",
      );
    }
    this.#serveWaiter();
  }

  #forget(thread: PooledThread): void {
    this.#threads.delete(thread);
    const at = this.#idle.indexOf(thread);
    if (at >= 0) this.#idle.splice(at, 1);
  }

  /** A place freed up: hand a fresh thread to the longest waiter, if any. */
  #serveWaiter(): void {
    if (this.#closed || this.#waiters.length === 0) return;
    if (this.#threads.size >= this.#options.size) return;
    const waiter = this.#waiters.shift() as Waiter;
    waiter.resolve(this.#spawn());
  }
}

function closedError(): FlowWeaverError {
  return new FlowWeaverError(
    "This ThreadedExecutor was closed: its worker threads are gone. Create a new ThreadedExecutor to run more workflows.",
    { code: "EXECUTOR_CLOSED" },
  );
}
