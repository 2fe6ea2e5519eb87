/**
 * BullMQExecutor behaviour beyond the shared contract, on the local Redis with workers in
 * this process: aborts and logs reaching the worker, replies for settled attempts ignored,
 * unserved workflows, graceful shutdown and hand-back, and a workflow module imported the
 * way worker threads import one.
 */
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { jobIdOf, replyKey } from "../../src/executors/bullmq/protocol.js";
import {
  BullMQExecutor,
  type FlowWeaverWorker,
  type Logger,
  MemoryStateStore,
  type RunResult,
  silentLogger,
  startWorker,
  type TaskContext,
  task,
  Workflow,
  type WorkflowFailedError,
} from "../../src/index.js";
import { ensureBuilt } from "../cli/support/cli.js";
import { recordingLogger } from "../executors/contract-helpers.js";
import { service } from "../support/services.js";
import { deleteKeys, keysUnder, REDIS_URL, uniquePrefix } from "./support.js";

const redis = await service("redis");
const prefix = uniquePrefix("executor");

/** A promise with its resolver, for tasks and tests to meet. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Each test sets the hooks its tasks call, by task name. */
const hooks = new Map<string, (ctx: TaskContext) => unknown>();
const hooked = (name: string, options?: Parameters<typeof task>[2]) =>
  task(name, (_inputs: unknown, ctx: TaskContext) => hooks.get(name)?.(ctx) ?? name, options);

const abortable = new Workflow("bullmq_abortable");
abortable.addTask(hooked("waits", { timeout: "100ms", retries: 1 }));
abortable.addTask(hooked("waits_forever"));

const chain = new Workflow("bullmq_chain");
chain.addTask(hooked("first"));
chain.addTask(hooked("second"), { dependsOn: ["first"] });

const logging = new Workflow("bullmq_logging");
logging.addTask(
  task("talks", (_inputs: unknown, ctx: TaskContext) => {
    ctx.log.info("hello from the worker", { rows: 3 });
    return process.pid;
  }),
);

const unserved = new Workflow("bullmq_unserved");
unserved.addTask(task("lonely", () => 1));

const ALL = [abortable, chain, logging];

/** Waits for the abort of a task's signal, recording its reason. */
function waitForAbort(ctx: TaskContext, seen: (reason: unknown) => void): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    ctx.signal.addEventListener(
      "abort",
      () => {
        seen(ctx.signal.reason);
        reject(ctx.signal.reason);
      },
      { once: true },
    );
  });
}

describe.skipIf(!redis.up)(`BullMQExecutor on Redis${redis.note}`, () => {
  const workers: FlowWeaverWorker[] = [];
  const executors: BullMQExecutor[] = [];

  async function worker(
    options: Partial<Parameters<typeof startWorker>[0]> = {},
  ): Promise<FlowWeaverWorker> {
    const started = await startWorker({
      workflow: ALL,
      connection: REDIS_URL,
      prefix,
      concurrency: 8,
      logger: silentLogger,
      ...options,
    } as Parameters<typeof startWorker>[0]);
    workers.push(started);
    return started;
  }

  function executor(logger: Logger = silentLogger): BullMQExecutor {
    const made = new BullMQExecutor({ connection: REDIS_URL, prefix, logger, concurrency: 8 });
    executors.push(made);
    return made;
  }

  afterEach(async () => {
    hooks.clear();
    await Promise.all(executors.splice(0).map((e) => e.close()));
    await Promise.all(workers.splice(0).map((w) => w.close({ grace: 0 })));
  });

  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it("aborts the worker's ctx.signal when the attempt times out, with a TaskTimeoutError", async () => {
    await worker();
    const seen = deferred<unknown>();
    hooks.set("waits", (ctx) => (ctx.attempt === 1 ? waitForAbort(ctx, seen.resolve) : "done"));
    const run = await executor().execute(abortable);
    expect(run.tasks.waits).toMatchObject({ status: "COMPLETED", attempts: 2 });
    const reason = await seen.promise;
    expect(reason).toMatchObject({ name: "TaskTimeoutError", code: "TASK_TIMEOUT" });
  });

  it("aborts the worker's ctx.signal when the run is cancelled", async () => {
    await worker();
    const seen = deferred<unknown>();
    const running = deferred();
    hooks.set("waits_forever", (ctx) => {
      running.resolve();
      return waitForAbort(ctx, seen.resolve);
    });
    const controller = new AbortController();
    const execution = executor().execute(abortable, { signal: controller.signal });
    await running.promise;
    controller.abort(new Error("operator stopped the run"));
    const error = (await execution.catch((e: unknown) => e)) as WorkflowFailedError;
    expect(error.name).toBe("WorkflowCancelledError");
    expect((error.result as RunResult).tasks.waits_forever?.error).toMatchObject({
      code: "CANCELLED",
    });
    expect(await seen.promise).toMatchObject({ message: "operator stopped the run" });
  });

  it("writes ctx.log to the worker's logger, tagged with run, task and attempt", async () => {
    const { logger, entries } = recordingLogger();
    await worker({ logger });
    const run = await executor().execute(logging);
    const line = entries.find((e) => e.message === "hello from the worker");
    expect(line).toMatchObject({
      level: "info",
      fields: { runId: run.runId, workflow: "bullmq_logging", task: "talks", attempt: 1, rows: 3 },
    });
  });

  it("ignores replies for an attempt already settled: its completion is recorded once", async () => {
    await worker();
    const stateStore = new MemoryStateStore();
    const coordinator = new BullMQExecutor({
      connection: REDIS_URL,
      prefix,
      stateStore,
      logger: silentLogger,
    });
    executors.push(coordinator);
    const completions: string[] = [];
    coordinator.on("task:complete", ({ task }) => completions.push(task.name));
    const client = new Redis(REDIS_URL);
    const queue = new Queue("flowweaver", {
      connection: { host: "127.0.0.1", port: 6379 },
      prefix,
    });
    try {
      hooks.set("second", async (ctx) => {
        // `first` completed: its job's outcome arrives again (a job BullMQ ran twice), then
        // a failure for it. Both wait in the list ahead of this task's own reply.
        const own = await queue.getJob(jobIdOf(ctx.runId, "second", 1));
        const key = (own?.data as { reply: string } | undefined)?.reply as string;
        const job = jobIdOf(ctx.runId, "first", 1);
        await client.rpush(
          key,
          JSON.stringify({ t: "ok", job, value: { k: "json", t: '"forged"' } }),
          JSON.stringify({ t: "error", job, error: { name: "Error", message: "late" } }),
          JSON.stringify({ t: "ok", job: "no-such-job", value: { k: "json", t: "1" } }),
        );
        return "second";
      });
      const run = await coordinator.execute(chain);
      expect(run.tasks.first).toMatchObject({ status: "COMPLETED", attempts: 1 });
      expect(chain.getTask("first").result).toBe("first");
      expect(completions.sort()).toEqual(["first", "second"]);
      const attempts = (await stateStore.listAttempts(run.runId)).filter((a) => a.task === "first");
      expect(attempts.map((a) => a.status)).toEqual(["COMPLETED"]);
    } finally {
      client.disconnect();
      await queue.close();
    }
  });

  it("enqueues an attempt once: a second job with its id is ignored by BullMQ", async () => {
    const queue = new Queue("dedupe", { connection: { host: "127.0.0.1", port: 6379 }, prefix });
    try {
      const id = jobIdOf("run-1", "extract: step", 1);
      expect(id).not.toContain(":");
      await queue.add("extract", { n: 1 }, { jobId: id });
      await queue.add("extract", { n: 2 }, { jobId: id });
      expect(await queue.getJobCounts("wait")).toEqual({ wait: 1 });
      expect((await queue.getJob(id))?.data).toEqual({ n: 1 });
    } finally {
      await queue.close();
    }
  });

  it("fails an attempt clearly when its worker does not serve the workflow", async () => {
    await worker({ queueName: "narrow" });
    const coordinator = new BullMQExecutor({
      connection: REDIS_URL,
      prefix,
      queueName: "narrow",
      logger: silentLogger,
    });
    executors.push(coordinator);
    const error = (await coordinator
      .execute(unserved)
      .catch((e: unknown) => e)) as WorkflowFailedError;
    const failure = (error.result as RunResult).tasks.lonely?.error;
    expect(failure).toMatchObject({ code: "WORKFLOW_NOT_SERVED" });
    expect(failure?.message).toContain(
      'Task "lonely" of workflow "bullmq_unserved" reached worker',
    );
    expect(failure?.message).toContain('"bullmq_abortable", "bullmq_chain", "bullmq_logging"');
  });

  it("on close, lets a running attempt finish before it disconnects", async () => {
    const first = await worker();
    const running = deferred();
    const release = deferred<string>();
    hooks.set("first", () => {
      running.resolve();
      return release.promise;
    });
    const execution = executor().execute(chain);
    await running.promise;
    const closing = first.close({ grace: "1h" });
    expect(first.running).toBe(1);
    // `second` needs a worker: the closing one takes no new job.
    await worker();
    release.resolve("finished during shutdown");
    await closing;
    const run = await execution;
    expect(run.status).toBe("COMPLETED");
    expect(chain.getTask("first").result).toBe("finished during shutdown");
  });

  it("hands a running attempt back to the queue when the grace period ends", async () => {
    const first = await worker();
    const started: number[] = [];
    const running = deferred();
    const handedBack = deferred<unknown>();
    hooks.set("first", (ctx) => {
      started.push(started.length + 1);
      // The first run ignores its signal (as a stuck task would), reporting the abort.
      if (started.length === 1) {
        ctx.signal.addEventListener("abort", () => handedBack.resolve(ctx.signal.reason));
        running.resolve();
        return new Promise(() => {});
      }
      return "second worker";
    });
    const execution = executor().execute(chain);
    await running.promise;
    await first.close({ grace: "10ms" });
    expect(await handedBack.promise).toMatchObject({ code: "WORKER_SHUTDOWN" });
    await worker();
    const run = await execution;
    expect(run.tasks.first).toMatchObject({ status: "COMPLETED", attempts: 1 });
    expect(chain.getTask("first").result).toBe("second worker");
    expect(started).toEqual([1, 2]);
  });

  it("serves a module's workflows without running the workflow its top level executes", async () => {
    // The fixture imports "flowweaver" by name, as users' modules do: the built package.
    ensureBuilt();
    const module = fileURLToPath(new URL("./fixtures/self-running.mjs", import.meta.url));
    const started = await worker({ workflow: undefined, module });
    expect(started.workflows).toEqual(["self_running"]);
    const ran = (globalThis as { __fwSelfRunningRuns?: unknown[] }).__fwSelfRunningRuns;
    expect(ran).toEqual([""]);
    // The coordinator's copy of the workflow only has to agree on names: the worker runs
    // the module's functions.
    const mirror = new Workflow("self_running");
    mirror.addTask(task("answer", () => 0));
    const run = await executor().execute(mirror);
    expect(run.status).toBe("COMPLETED");
    expect(mirror.getTask("answer").result).toBe(42);
  });

  it("leaves no reply list or job behind once its runs are over", async () => {
    await worker();
    await executor().execute(chain);
    expect(await keysUnder(prefix, "flowweaver:flowweaver:reply:*")).toEqual([]);
    const queue = new Queue("flowweaver", {
      connection: { host: "127.0.0.1", port: 6379 },
      prefix,
    });
    try {
      const counts = await queue.getJobCounts("wait", "active", "completed", "failed");
      expect(counts).toEqual({ wait: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await queue.close();
    }
    expect(replyKey("p", "q", "c")).toBe("p:q:flowweaver:reply:c");
  });
});
