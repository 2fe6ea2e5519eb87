/**
 * The shared executor contract, run against BullMQExecutor on the local Redis, with a
 * `flowweaver worker` process serving the contract's workflow module: everything travels
 * through real BullMQ jobs and reply lists, and what this process holds once a run is over
 * (timers, connections) is the coordinator's alone. The tests in WORKER_SIDE are
 * skipped: they expect what a task does on abort, or logs, to be visible the moment the
 * run settles, in the coordinator. With a queue the coordinator stops waiting at once and
 * the worker hears the cancel a moment later, and ctx.log writes to the worker's logger;
 * executor.test.ts checks both there.
 */
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe } from "vitest";
import { BullMQExecutor } from "../../src/index.js";
import { ensureBuilt, finished, startCli } from "../cli/support/cli.js";
import { executorContract } from "../executors/executor-contract.js";
import { service } from "../support/services.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./support.js";

const WORKER_SIDE = new Map<string, string>([
  [
    "fails a timed-out attempt with a retryable TaskTimeoutError and aborts its ctx.signal",
    "the worker aborts the task when the cancel reaches it, after the run may have settled; the reason it sees is a rebuilt copy",
  ],
  [
    "aborts running tasks, skips the ones not started, saves the finished ones",
    "reads abortLog as the run settles; the worker aborts the task when the cancel reaches it, a moment later",
  ],
  [
    "gives tasks params, runKey, attempt from 1, names, run id and a tagged log",
    "ctx.log writes to the worker's logger, on the worker's host, not the coordinator's",
  ],
]);

beforeEach((context) => {
  const why = WORKER_SIDE.get(context.task.name);
  if (why) context.skip(why);
});

const redis = await service("redis");
const prefix = uniquePrefix("contract");
const MODULE = fileURLToPath(new URL("../executors/contract-workflows.ts", import.meta.url));

describe.skipIf(!redis.up)(`BullMQExecutor${redis.note}`, () => {
  let worker: ChildProcess;
  const opened: BullMQExecutor[] = [];

  beforeAll(async () => {
    ensureBuilt();
    // Room for the contract's tasks that ignore their signal and never end: each keeps its
    // worker slot, as it would on a real worker.
    worker = startCli(
      ["worker", MODULE, "--redis", REDIS_URL, "--prefix", prefix, "--concurrency", "64"],
      { cwd: process.cwd() },
    );
    await new Promise<void>((resolve, reject) => {
      let seen = "";
      worker.stderr?.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes(" serving ")) resolve();
      });
      worker.once("close", () => reject(new Error(`the worker exited:\n${seen}`)));
    });
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((executor) => executor.close()));
  });

  afterAll(async () => {
    const exited = finished(worker);
    worker.kill("SIGKILL");
    await exited;
    await deleteKeys(prefix);
  });

  executorContract("BullMQExecutor", ({ stateStore, logger, concurrency }) => {
    const executor = new BullMQExecutor({
      connection: REDIS_URL,
      prefix,
      stateStore,
      logger,
      concurrency,
    });
    opened.push(executor);
    return executor;
  });
});
