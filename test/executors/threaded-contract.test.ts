/**
 * The shared executor contract, run against ThreadedExecutor. Its task functions live in
 * contract-workflows.ts, which worker threads import by URL; the tests listed in
 * IN_PROCESS_ONLY are skipped because they observe the task from the test's own thread
 * (a hook the task calls, or a log the task writes in its module), which a task running
 * in a worker thread cannot reach. threaded.test.ts covers the same behaviour for threads.
 */
import { afterEach, beforeEach } from "vitest";
import { ThreadedExecutor } from "../../src/index.js";
import { executorContract } from "./executor-contract.js";

const IN_PROCESS_ONLY = new Map<string, string>([
  [
    "fails a timed-out attempt with a retryable TaskTimeoutError and aborts its ctx.signal",
    "reads abortLog, written by the task in the worker's copy of the module",
  ],
  [
    "aborts running tasks, skips the ones not started, saves the finished ones",
    "the task calls a hook from runningHooks, registered in the test's thread",
  ],
  [
    "leaves no timer or immediate behind once runs with timeouts, retries and cancels are over",
    "the task calls a hook from runningHooks, registered in the test's thread",
  ],
]);

beforeEach((context) => {
  if (IN_PROCESS_ONLY.has(context.task.name)) context.skip(IN_PROCESS_ONLY.get(context.task.name));
});

const opened: ThreadedExecutor[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((executor) => executor.close()));
});

executorContract("ThreadedExecutor", ({ stateStore, logger, concurrency }) => {
  const executor = new ThreadedExecutor({ stateStore, logger, maxWorkers: concurrency });
  opened.push(executor);
  return executor;
});
