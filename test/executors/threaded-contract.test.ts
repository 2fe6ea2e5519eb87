/**
 * The shared executor contract, run against ThreadedExecutor. Its task functions live in
 * contract-workflows.ts, which worker threads import by URL. The contract observes tasks
 * only through what reaches this thread (events, `ctx.log` lines the executor forwards,
 * the attempt requests its runner receives), so every test runs here as it does for the
 * in-process executors; threaded.test.ts covers what only threads do.
 */
import { afterEach } from "vitest";
import { ThreadedExecutor } from "../../src/index.js";
import { executorContract } from "./executor-contract.js";

const opened: ThreadedExecutor[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((executor) => executor.close()));
});

executorContract("ThreadedExecutor", ({ stateStore, logger, concurrency }) => {
  const executor = new ThreadedExecutor({ stateStore, logger, maxWorkers: concurrency });
  opened.push(executor);
  return executor;
});
