/**
 * A FlowWeaver worker: takes attempt jobs from a BullMQ queue and runs them, for the
 * coordinator (a BullMQExecutor) that queued them. `flowweaver worker FILE` starts one;
 * {@link startWorker} is the same from code.
 */
import { hostname } from "node:os";
import type { Duration } from "../../core/duration.js";
import {
  ConfigurationError,
  describeThrown,
  FlowWeaverError,
  serializeError,
} from "../../core/errors.js";
import { type AttemptEnvironment, runAttempt } from "./attempt.js";
import { CancelListener } from "./cancels.js";
import { cancelChannel, type JobData, PROTOCOL, REPLY_TTL_MS, type Reply } from "./protocol.js";
import {
  type BullMQModule,
  checkRedis,
  createClient,
  disconnect,
  loadBullMQ,
  type RedisClient,
  watchErrors,
} from "./redis.js";
import { moduleUrl, type Served, serveModule, serveObjects } from "./serve.js";
import {
  type ResolvedWorkerOptions,
  readGraceMs,
  resolveWorkerOptions,
  type WorkerOptions,
} from "./worker-options.js";

export type { WorkerOptions } from "./worker-options.js";

/** A running worker. */
export interface FlowWeaverWorker extends AsyncDisposable {
  readonly queueName: string;
  /** Names of the workflows it serves. */
  readonly workflows: readonly string[];
  readonly concurrency: number;
  /** Attempts running now. */
  readonly running: number;
  /**
   * Stops taking jobs, lets running attempts finish within the grace period (the
   * `shutdownGrace` option unless given), then hands any still running back to the queue
   * (their `ctx.signal` aborts) and disconnects. A second call with `grace: 0` cuts a
   * pending grace period short.
   */
  close(options?: { readonly grace?: Duration }): Promise<void>;
}

/** How often a worker renews the expiry of a reply list it pushes to. */
const EXPIRY_RENEWAL_MS = 60_000;

/**
 * Starts a worker: imports the workflow module (or takes the workflows given), checks
 * that Redis and the state store answer (failing with a message naming the address),
 * and takes attempt jobs from the queue until closed.
 *
 * @example
 * const worker = await startWorker({
 *   module: new URL("./etl.js", import.meta.url),
 *   connection: "redis://queue:6379",
 *   stateStore: new PostgresStateStore(process.env.DATABASE_URL),
 *   concurrency: 4,
 * });
 * process.once("SIGTERM", () => void worker.close());
 */
export async function startWorker(options: WorkerOptions): Promise<FlowWeaverWorker> {
  const resolved = resolveWorkerOptions(options);
  if ((options.module === undefined) === (options.workflow === undefined)) {
    throw new ConfigurationError(
      'startWorker needs exactly one of "module" (the path or URL of the module that exports the workflows) and "workflow" (the workflows themselves).',
    );
  }
  const served =
    options.module !== undefined
      ? await serveModule(moduleUrl(options.module))
      : serveObjects(options.workflow);
  // A first query, so an unreachable store fails now (naming its address), not at the first large input.
  await resolved.store?.listRuns({ limit: 1 });
  await checkRedis(resolved.queue.redis, "flowweaver worker");
  const worker = new QueueWorker(resolved, served, await loadBullMQ());
  await worker.start();
  return worker;
}

type BullWorker = InstanceType<BullMQModule["Worker"]>;
type BullJob = InstanceType<BullMQModule["Job"]>;

/** One attempt running here. */
interface Running {
  readonly job: BullJob;
  readonly token: string | undefined;
  readonly controller: AbortController;
  /** The coordinator gave up on it: its outcome is not sent. */
  cancelled: boolean;
  /** Moved back to the queue at shutdown: another worker runs it; its outcome is not sent. */
  handedBack: boolean;
}

class QueueWorker implements FlowWeaverWorker {
  readonly queueName: string;
  readonly workflows: readonly string[];
  readonly concurrency: number;
  readonly #options: ResolvedWorkerOptions;
  readonly #served: Served;
  readonly #bullmq: BullMQModule;
  readonly #name = `${hostname()}-${process.pid}`;
  readonly #running = new Map<string, Running>();
  /** When this worker last renewed the expiry of each reply list. */
  readonly #expiries = new Map<string, number>();
  #env!: AttemptEnvironment;
  #worker!: BullWorker;
  #replies!: RedisClient;
  #cancels!: CancelListener;
  #closing: Promise<void> | undefined;
  #cutGrace: (() => void) | undefined;
  /** Called when the last running attempt ends, while shutting down. */
  #idle: (() => void) | undefined;

  constructor(options: ResolvedWorkerOptions, served: Served, bullmq: BullMQModule) {
    this.#options = options;
    this.#served = served;
    this.#bullmq = bullmq;
    this.queueName = options.queue.queueName;
    this.workflows = [...served.workflows.keys()];
    this.concurrency = options.concurrency;
  }

  get running(): number {
    return this.#running.size;
  }

  async start(): Promise<void> {
    const { queue, logger, store } = this.#options;
    this.#env = { served: this.#served, store, logger, worker: `${hostname()} pid ${process.pid}` };
    // Replies wait out a Redis restart rather than fail: a lost reply would leave the
    // coordinator waiting for an attempt that finished.
    this.#replies = await createClient(queue.redis, logger, "flowweaver worker replies", {
      maxRetriesPerRequest: null,
    });
    const subscriber = await createClient(queue.redis, logger, "flowweaver worker cancels", {
      maxRetriesPerRequest: null,
    });
    this.#cancels = await CancelListener.listen(
      subscriber,
      cancelChannel(queue.prefix, queue.queueName),
      logger,
    );
    const o = this.#options;
    this.#worker = new this.#bullmq.Worker(
      queue.queueName,
      (job, token) => this.#process(job, token),
      {
        connection: { ...queue.redis.options, maxRetriesPerRequest: null },
        prefix: queue.prefix,
        concurrency: o.concurrency,
        lockDuration: o.lockDurationMs,
        stalledInterval: o.stalledIntervalMs,
        maxStalledCount: o.maxStalledCount,
        autorun: false,
        name: this.#name,
      },
    );
    watchErrors(this.#worker, logger, `flowweaver worker (Redis at ${queue.redis.address})`);
    this.#worker.on("failed", (job, error) => {
      if (job) this.#lost(job, error);
    });
    this.#worker.run().catch((error: unknown) => {
      logger.error({ error }, `flowweaver worker stopped taking jobs: ${describeThrown(error)}`);
    });
    await this.#worker.waitUntilReady();
    logger.info(
      { queue: queue.queueName, workflows: this.workflows, concurrency: o.concurrency },
      `flowweaver worker ${this.#name} serving ${this.workflows.map((n) => `"${n}"`).join(", ")} on queue "${queue.queueName}" at ${queue.redis.address}`,
    );
  }

  close(options: { readonly grace?: Duration } = {}): Promise<void> {
    const graceMs =
      options.grace === undefined ? this.#options.graceMs : readGraceMs(options.grace, 0);
    if (this.#closing !== undefined) {
      if (graceMs === 0) this.#cutGrace?.();
      return this.#closing;
    }
    this.#closing = this.#shutDown(graceMs);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #process(job: BullJob, token: string | undefined): Promise<void> {
    const data = job.data as JobData;
    const jobId = job.id as string;
    if (data?.v !== PROTOCOL) {
      this.#refuse(job);
      return;
    }
    const entry: Running = {
      job,
      token,
      controller: new AbortController(),
      cancelled: false,
      handedBack: false,
    };
    const early = this.#cancels.start(jobId, (reason) => {
      entry.cancelled = true;
      entry.controller.abort(reason);
    });
    // Cancelled before it reached this worker: the coordinator no longer waits for it.
    if (early) return;
    this.#running.set(jobId, entry);
    const { logger } = this.#options;
    const fields = { runId: data.runId, task: data.task, attempt: data.attempt, job: jobId };
    logger.debug(fields, `task "${data.task}" attempt ${data.attempt} started`);
    try {
      const reply = await runAttempt(jobId, data, entry.controller.signal, this.#env, () => {
        // Not awaited: the reply follows on the same connection, so it cannot overtake.
        void this.#send(data.reply, { t: "started", job: jobId });
      });
      const outcome =
        reply.t === "error"
          ? `failed: ${reply.error.message}`
          : `finished (${reply.t === "stored" ? "result stored" : "result inline"})`;
      logger.debug(fields, `task "${data.task}" attempt ${data.attempt} ${outcome}`);
      if (!entry.cancelled && !entry.handedBack) await this.#send(data.reply, reply);
    } finally {
      this.#cancels.done(jobId);
      this.#running.delete(jobId);
      if (this.#running.size === 0) this.#idle?.();
    }
    // Tells BullMQ the job went back to the queue: it neither completes nor fails it.
    if (entry.handedBack) throw new this.#bullmq.WaitingError();
  }

  /**
   * Pushes a reply onto the coordinator's list. The list expires if nobody reads it: its
   * expiry is renewed now and then rather than with every reply, which would double the
   * commands per attempt.
   */
  async #send(key: string, reply: Reply): Promise<void> {
    const now = Date.now();
    const renewed = this.#expiries.get(key);
    try {
      if (renewed !== undefined && now - renewed < EXPIRY_RENEWAL_MS) {
        await this.#replies.rpush(key, JSON.stringify(reply));
        return;
      }
      this.#expiries.delete(key); // re-inserted last: the map stays in renewal order
      this.#expiries.set(key, now);
      for (const [old, at] of this.#expiries) {
        if (now - at < REPLY_TTL_MS) break;
        this.#expiries.delete(old);
      }
      await this.#replies
        .multi()
        .rpush(key, JSON.stringify(reply))
        .pexpire(key, REPLY_TTL_MS)
        .exec();
    } catch (error) {
      this.#options.logger.error(
        { error, job: reply.job },
        `could not send the outcome of job ${reply.job} to its coordinator: ${describeThrown(error)}`,
      );
    }
  }

  /** A job of another FlowWeaver version: say so to its coordinator, if it can be reached. */
  #refuse(job: BullJob): void {
    const data = job.data as Partial<JobData> | undefined;
    const message = `worker ${this.#env.worker} speaks FlowWeaver job protocol ${PROTOCOL}, and job ${job.id} on queue "${this.queueName}" is ${data?.v === undefined ? "not a FlowWeaver job" : `of protocol ${String(data.v)}`}. Run the same FlowWeaver version on the coordinator and on every worker, and give other jobs a queue of their own.`;
    this.#options.logger.error({ job: job.id }, message);
    if (typeof data?.reply === "string") {
      const error = new FlowWeaverError(message, { code: "PROTOCOL_MISMATCH" });
      void this.#send(data.reply, {
        t: "error",
        job: job.id as string,
        error: serializeError(error),
      });
    }
  }

  /**
   * BullMQ failed a job without our processor: its worker died (or blocked its event loop
   * past lockDuration) more than maxStalledCount times. The coordinator hears it as the
   * attempt's error, which the task's retries may retry.
   */
  #lost(job: BullJob, cause: Error): void {
    const data = job.data as JobData;
    if (data?.v !== PROTOCOL || this.#running.has(job.id as string)) return;
    const stalled = /stalled/i.test(cause.message);
    const error = new FlowWeaverError(
      stalled
        ? `Task "${data.task}" (attempt ${data.attempt}) was lost: the worker running it stopped answering (killed, or its event loop blocked for longer than lockDuration) more than maxStalledCount (${this.#options.maxStalledCount}) times.`
        : `Task "${data.task}" (attempt ${data.attempt}) failed in the queue: ${cause.message}.`,
      { code: "WORKER_LOST", taskName: data.task, runId: data.runId, cause },
    );
    void this.#send(data.reply, {
      t: "error",
      job: job.id as string,
      error: serializeError(error),
    });
  }

  async #shutDown(graceMs: number): Promise<void> {
    const { logger } = this.#options;
    // Stop taking jobs at once; running ones go on.
    await this.#worker.pause(true);
    if (this.#running.size > 0 && !(await this.#drained(graceMs))) {
      const still = [...this.#running.values()];
      logger.warn(
        { jobs: still.map((entry) => entry.job.id) },
        `flowweaver worker ${this.#name}: handing ${still.length} running attempt(s) back to the queue after a ${graceMs} ms grace period`,
      );
      const reason = new FlowWeaverError(
        `Worker ${this.#env.worker} is shutting down: the attempt was handed back to the queue.`,
        { code: "WORKER_SHUTDOWN" },
      );
      await Promise.all(
        still.map(async (entry) => {
          entry.handedBack = true;
          try {
            await entry.job.moveToWait(entry.token);
          } catch (error) {
            // The lock was lost already: BullMQ's stalled check hands the job on instead.
            logger.warn({ error, job: entry.job.id }, `could not hand job ${entry.job.id} back`);
          }
          entry.controller.abort(reason);
        }),
      );
    }
    await this.#worker.close(true);
    await this.#cancels.close();
    await disconnect(this.#replies);
  }

  /** True when no attempt runs any more within the grace period (unless cut short). */
  #drained(graceMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.#idle = undefined;
        this.#cutGrace = undefined;
        resolve(drained);
      };
      const timer = setTimeout(() => done(false), graceMs);
      this.#cutGrace = () => done(false);
      this.#idle = () => done(true);
    });
  }
}
