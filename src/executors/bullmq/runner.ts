/**
 * The BullMQExecutor's AttemptRunner, on the coordinator: each attempt becomes one BullMQ
 * job (enqueued in bulk, a round trip per batch) and the runner waits for the worker's
 * reply on the coordinator's reply list. The scheduler keeps everything else: BullMQ's
 * own retries are off, and an attempt's timeout or cancellation aborts `ctx.signal`,
 * which stops the waiting at once and tells the worker to abort the task.
 */
import { randomUUID } from "node:crypto";
import {
  describeThrown,
  deserializeError,
  FlowWeaverError,
  serializeError,
  toError,
} from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AttemptRequest, AttemptRunner } from "../../core/runner.js";
import { decodeValue } from "../../core/serialization.js";
import type { Workflow } from "../../core/workflow.js";
import type { StateStore } from "../../stores/store.js";
import { JobBuilder } from "./job-data.js";
import type { ResolvedQueue } from "./options.js";
import { type Pending, PendingAttempts } from "./pending.js";
import {
  type CancelMessage,
  cancelChannel,
  fromWire,
  type JobData,
  jobIdOf,
  type Reply,
  replyKey,
} from "./protocol.js";
import {
  type BullMQModule,
  checkRedis,
  createClient,
  loadBullMQ,
  type RedisClient,
  watchErrors,
} from "./redis.js";
import { ReplyReader } from "./replies.js";

type Queue = InstanceType<BullMQModule["Queue"]>;

export interface QueueRunnerOptions {
  readonly queue: ResolvedQueue;
  readonly concurrency: number;
  readonly inlineLimit: number;
  readonly stateStore: StateStore | undefined;
  readonly logger: Logger;
}

/** What the runner holds while runs are active: the queue and the reply reader. */
interface Session {
  readonly queue: Queue;
  readonly publisher: RedisClient;
  readonly replies: ReplyReader;
}

interface QueuedJob {
  readonly name: string;
  readonly data: JobData;
  readonly opts: {
    readonly jobId: string;
    readonly attempts: 1;
    readonly removeOnComplete: true;
    readonly removeOnFail: { readonly age: number };
  };
}

/** Jobs sent per addBulk: one MULTI each, so one round trip. */
const BULK = 1000;
/** Failed jobs (a worker that died too often) stay visible this long, in seconds. */
const FAILED_JOB_AGE_S = 7 * 24 * 60 * 60;

export class QueueRunner implements AttemptRunner {
  readonly concurrency: number;
  readonly armsTimeout = true;
  readonly #options: QueueRunnerOptions;
  readonly #jobs: JobBuilder;
  /** This coordinator's reply list: unique to this runner. */
  readonly #replyKey: string;
  readonly #channel: string;
  readonly #pending = new PendingAttempts((jobId, reason) => this.#cancel(jobId, reason));
  #batch: QueuedJob[] = [];
  /** Enqueues and cancels under way: the connections close only once they are done. */
  readonly #background = new Set<Promise<void>>();
  #session: Promise<Session> | undefined;
  #active = 0;
  #closed = false;

  constructor(options: QueueRunnerOptions) {
    this.#options = options;
    this.concurrency = options.concurrency;
    this.#jobs = new JobBuilder(options.inlineLimit, options.stateStore);
    const { prefix, queueName } = options.queue;
    this.#replyKey = replyKey(prefix, queueName, randomUUID());
    this.#channel = cancelChannel(prefix, queueName);
  }

  /** A run starts: connections open on its `prepare` and stay while any run is active. */
  begin(): void {
    this.#active++;
  }

  /** A run ended: the last one to end closes the connections, so nothing keeps the process alive. */
  async end(): Promise<void> {
    if (--this.#active > 0) return;
    await this.#disconnect();
  }

  /** Connects (failing clearly when Redis is unreachable) and warns when no worker listens. */
  async prepare(workflow: Workflow): Promise<void> {
    this.#ensureOpen();
    const session = await this.#connect();
    const { queueName, redis } = this.#options.queue;
    const workers = await session.queue.getWorkersCount().catch(() => undefined);
    if (workers === 0) {
      this.#options.logger.warn(
        { queue: queueName, workflow: workflow.name },
        `no worker is connected to queue "${queueName}" at ${redis.address}: the tasks of workflow "${workflow.name}" wait until one starts (flowweaver worker FILE --redis URL --queue ${queueName})`,
      );
    }
  }

  runAttempt(request: AttemptRequest): Promise<unknown> {
    const { ctx, task } = request;
    const jobId = jobIdOf(ctx.runId, task.name, ctx.attempt);
    const data = this.#jobs.build(request, this.#replyKey);
    const signal = ctx.signal;
    return new Promise<unknown>((resolve, reject) => {
      if (signal.aborted) {
        reject(toError(signal.reason));
        return;
      }
      this.#pending.add(jobId, { request, resolve, reject });
      if (this.#batch.length === 0) queueMicrotask(() => this.#track(this.#flush()));
      this.#batch.push({
        name: task.name,
        data,
        opts: {
          jobId,
          attempts: 1,
          removeOnComplete: true,
          removeOnFail: { age: FAILED_JOB_AGE_S },
        },
      });
    });
  }

  /** Fails what still waits, closes the connections; later runs fail. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const error = new FlowWeaverError(
      "BullMQExecutor was closed while this attempt waited for its worker.",
      { code: "EXECUTOR_CLOSED" },
    );
    for (const jobId of this.#pending.jobs()) this.#pending.take(jobId)?.reject(error);
    await this.#disconnect();
  }

  #ensureOpen(): void {
    if (this.#closed) {
      throw new FlowWeaverError(
        "BullMQExecutor is closed: create a new one to run workflows again.",
        { code: "EXECUTOR_CLOSED" },
      );
    }
  }

  #connect(): Promise<Session> {
    if (this.#closed) {
      return Promise.reject(
        new FlowWeaverError("BullMQExecutor is closed.", { code: "EXECUTOR_CLOSED" }),
      );
    }
    this.#session ??= this.#open().catch((error: unknown) => {
      this.#session = undefined;
      throw error;
    });
    return this.#session;
  }

  async #open(): Promise<Session> {
    const { queue: where, logger } = this.#options;
    await checkRedis(where.redis, "BullMQExecutor");
    const { Queue } = await loadBullMQ();
    const queue = new Queue(where.queueName, {
      connection: { ...where.redis.options },
      prefix: where.prefix,
    });
    watchErrors(
      queue,
      logger,
      `BullMQExecutor queue "${where.queueName}" (Redis at ${where.redis.address})`,
    );
    try {
      const publisher = (await queue.client) as unknown as RedisClient;
      // A connection of its own: the reply reader blocks on it between replies.
      const reader = await createClient(where.redis, logger, "BullMQExecutor reply reader", {
        maxRetriesPerRequest: null,
      });
      const replies = new ReplyReader(
        reader,
        this.#replyKey,
        (reply) => this.#onReply(reply),
        logger,
      );
      return { queue, publisher, replies };
    } catch (error) {
      await queue.close().catch(() => {});
      throw error;
    }
  }

  async #disconnect(): Promise<void> {
    const opening = this.#session;
    if (!opening) return;
    // A run starting meanwhile opens a session of its own; what is under way finishes on this one.
    this.#session = undefined;
    await Promise.all(this.#background);
    let session: Session;
    try {
      session = await opening;
    } catch {
      return;
    }
    await session.replies.close();
    await session.queue.close();
  }

  async #flush(): Promise<void> {
    const batch = this.#batch;
    this.#batch = [];
    let session: Session;
    try {
      session = await this.#connect();
    } catch (error) {
      this.#failBatch(batch, error);
      return;
    }
    for (let at = 0; at < batch.length; at += BULK) {
      const part = batch.slice(at, at + BULK);
      try {
        await session.queue.addBulk(part as Parameters<Queue["addBulk"]>[0]);
      } catch (error) {
        this.#failBatch(part, error);
      }
    }
  }

  #track(work: Promise<void>): void {
    this.#background.add(work);
    void work.finally(() => this.#background.delete(work));
  }

  #failBatch(batch: readonly QueuedJob[], error: unknown): void {
    const { address } = this.#options.queue.redis;
    for (const job of batch) {
      const pending = this.#pending.take(job.opts.jobId);
      if (!pending) continue;
      pending.reject(
        new FlowWeaverError(
          `Task "${job.name}" (attempt ${job.data.attempt}) could not be queued on Redis at ${address}: ${describeThrown(error)}.`,
          { code: "QUEUE_UNAVAILABLE", taskName: job.name, runId: job.data.runId, cause: error },
        ),
      );
    }
  }

  /**
   * Stops an attempt the scheduler gave up on: a job not sent yet is dropped, a waiting
   * one removed, and every worker hears the cancel (the one running it aborts ctx.signal).
   */
  #cancel(jobId: string, reason: unknown): void {
    const queued = this.#batch.findIndex((job) => job.opts.jobId === jobId);
    if (queued >= 0) {
      this.#batch.splice(queued, 1);
      return;
    }
    const message: CancelMessage = { job: jobId, reason: serializeError(reason) };
    const cancelling = this.#connect()
      .then(async (session) => {
        await session.publisher.publish(this.#channel, JSON.stringify(message));
        // Removes the job unless a worker holds it; that worker heard the cancel.
        await session.queue.remove(jobId);
      })
      .catch((error: unknown) => {
        this.#options.logger.debug({ error, job: jobId }, "could not cancel a queued attempt");
      });
    this.#track(cancelling);
  }

  #onReply(reply: Reply): void {
    const pending = this.#pending.get(reply.job);
    if (!pending) {
      // An attempt already settled (timed out, cancelled, or a job BullMQ ran again after
      // its worker died): the scheduler would ignore it; a result left in the store goes.
      if (reply.t === "stored") void this.#discardStored(reply.job);
      return;
    }
    switch (reply.t) {
      case "started":
        pending.request.armTimeout();
        return;
      case "ok":
        this.#pending.take(reply.job);
        try {
          pending.resolve(decodeValue(fromWire(reply.value)));
        } catch (error) {
          pending.reject(toError(error));
        }
        return;
      case "stored":
        this.#pending.take(reply.job);
        this.#takeStored(reply.job, reply.store, pending).catch((error: unknown) => {
          pending.reject(toError(error));
        });
        return;
      case "error":
        this.#pending.take(reply.job);
        pending.reject(deserializeError(reply.error));
        return;
      default:
        // A reply from a worker of a newer FlowWeaver.
        this.#options.logger.warn({ reply }, "ignored a reply of an unknown type");
    }
  }

  async #takeStored(jobId: string, workerStore: string, pending: Pending): Promise<void> {
    const store = this.#options.stateStore;
    const { task, ctx } = pending.request;
    const encoded = await store?.payloads?.take(jobId);
    if (encoded === undefined) {
      throw new FlowWeaverError(
        `Task "${task.name}" (attempt ${ctx.attempt}) finished on a worker that stored its result in ${workerStore}, but the coordinator's store ${store?.location ?? "(none)"} has no such result. Start every worker with --state pointing at the coordinator's store.`,
        { code: "RESULT_UNAVAILABLE", taskName: task.name, runId: ctx.runId },
      );
    }
    pending.resolve(decodeValue(encoded));
  }

  async #discardStored(jobId: string): Promise<void> {
    try {
      await this.#options.stateStore?.payloads?.take(jobId);
    } catch (error) {
      this.#options.logger.debug({ error, job: jobId }, "could not discard a late stored result");
    }
  }
}
