/**
 * A worker's end of the cancel channel. Every worker hears every cancel; the one running
 * the job aborts its task's `ctx.signal`. A cancel may arrive just before the job it
 * names is handed to this worker, so cancels for jobs not running here are kept a while
 * and checked when a job starts.
 */
import { deserializeError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { CancelMessage } from "./protocol.js";
import { disconnect, type RedisClient } from "./redis.js";

/** How long a cancel for a job not running here is remembered. */
const REMEMBER_MS = 10 * 60 * 1000;

export class CancelListener {
  readonly #client: RedisClient;
  readonly #channel: string;
  readonly #logger: Logger;
  /** Aborts of the jobs running here, by job id. */
  readonly #running = new Map<string, (reason: Error) => void>();
  /** Cancels heard for jobs not running here, by job id, oldest first. */
  readonly #early = new Map<string, { readonly at: number; readonly reason: Error }>();

  private constructor(client: RedisClient, channel: string, logger: Logger) {
    this.#client = client;
    this.#channel = channel;
    this.#logger = logger;
  }

  /** Subscribes before the worker takes any job, so no cancel for its jobs is missed. */
  static async listen(
    client: RedisClient,
    channel: string,
    logger: Logger,
  ): Promise<CancelListener> {
    const listener = new CancelListener(client, channel, logger);
    client.on("message", (from: string, text: string) => {
      if (from === channel) listener.#heard(text);
    });
    await client.subscribe(channel);
    return listener;
  }

  /**
   * Registers a job about to run; returns the reason it was already cancelled, if it was.
   * `abort` is called should a cancel arrive while it runs, until {@link done}.
   */
  start(jobId: string, abort: (reason: Error) => void): Error | undefined {
    const early = this.#early.get(jobId);
    if (early) {
      this.#early.delete(jobId);
      return early.reason;
    }
    this.#running.set(jobId, abort);
    return undefined;
  }

  done(jobId: string): void {
    this.#running.delete(jobId);
  }

  async close(): Promise<void> {
    await disconnect(this.#client);
  }

  #heard(text: string): void {
    let message: CancelMessage;
    try {
      message = JSON.parse(text) as CancelMessage;
    } catch {
      this.#logger.warn({}, `ignored a cancel message that is not JSON on ${this.#channel}`);
      return;
    }
    const reason = deserializeError(message.reason);
    const abort = this.#running.get(message.job);
    if (abort) {
      abort(reason);
      return;
    }
    const now = Date.now();
    this.#early.set(message.job, { at: now, reason });
    // Insertion order is age order: drop the expired ones from the front.
    for (const [jobId, entry] of this.#early) {
      if (now - entry.at < REMEMBER_MS) break;
      this.#early.delete(jobId);
    }
  }
}
