/**
 * CPU-bound work on worker threads: 8 independent tasks of about 250 ms of pure
 * computation each, on SequentialExecutor and on ThreadedExecutor with 1, 2 and 4
 * workers, and the speedup over sequential. Each pool is started and warmed (every
 * thread started, this module imported in each) before it is timed; that start-up is
 * printed apart and is not in the speedup. Then the per-task cost of a no-op task on the
 * pool, against the same task run inline.
 *
 * This file is also the workflow module the worker threads import (module:
 * import.meta.url), so the measuring code below runs on the main thread only.
 */
import { isMainThread } from "node:worker_threads";
import { loadFlowWeaver } from "../lib/flowweaver.mjs";
import { format, measure, QUICK } from "../lib/measure.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const TASKS = 8;
const TASK_MS = QUICK ? 25 : 250;
const RUNS = QUICK ? 1 : 3;
const WORKERS = [1, 2, 4];
const NOOP_TASKS = QUICK ? 200 : 2_000;

const fw = await loadFlowWeaver();

/** Pure integer computation (xorshift), `iterations` rounds: no I/O, no allocation. */
export function crunch(iterations) {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

/** 8 independent CPU-bound tasks; `params.iterations` sets their size. */
export const cpuWorkflow = new fw.Workflow({ name: "bench_cpu", module: import.meta.url });
for (let i = 0; i < TASKS; i++) {
  cpuWorkflow.addTask(fw.task(`crunch_${i}`, (_inputs, ctx) => crunch(ctx.params.iterations)));
}

/** Independent tasks that do nothing: what is left is the cost of running a task. */
export const noopWorkflow = new fw.Workflow({ name: "bench_noop", module: import.meta.url });
for (let i = 0; i < NOOP_TASKS; i++) noopWorkflow.addTask(fw.task(`noop_${i}`, () => null));

/** As many no-op tasks as the largest pool: a first run starts every thread of a pool. */
export const warmWorkflow = new fw.Workflow({ name: "bench_warm", module: import.meta.url });
for (let i = 0; i < Math.max(...WORKERS); i++) {
  warmWorkflow.addTask(fw.task(`warm_${i}`, () => null));
}

if (isMainThread) await main();

async function main() {
  const logger = fw.silentLogger;
  const iterations = calibrate(TASK_MS);
  const expected = crunch(iterations);
  const params = { iterations };

  /** One timed run; checks that every task ran and computed the right value. */
  const timedRun = (executor, workflow, check) => async () => {
    const started = performance.now();
    const run = await executor.execute(workflow, { params });
    const ms = performance.now() - started;
    if (run.status !== "COMPLETED") throw new Error(`${workflow.name} ended ${run.status}`);
    check?.(workflow);
    return { ms };
  };
  const checkCpu = (workflow) => {
    for (const node of workflow.tasks) {
      if (node.result !== expected) {
        throw new Error(`${node.name} computed ${node.result}, expected ${expected}`);
      }
    }
  };

  const sequential = new fw.SequentialExecutor({ logger });
  const seq = await measure(timedRun(sequential, cpuWorkflow, checkCpu), {
    runs: RUNS,
    warmups: 1,
  });

  const rows = [["SequentialExecutor", "-", format.ms(seq.ms), "1.00×", "-"]];
  let speedupAt2;
  for (const maxWorkers of WORKERS) {
    const startedAt = performance.now();
    const executor = new fw.ThreadedExecutor({ maxWorkers, logger });
    await executor.execute(warmWorkflow);
    const startup = performance.now() - startedAt;
    if (executor.threads !== maxWorkers) {
      throw new Error(`the warm-up started ${executor.threads} threads, not ${maxWorkers}`);
    }
    const threaded = await measure(timedRun(executor, cpuWorkflow, checkCpu), {
      runs: RUNS,
      warmups: 1,
    });
    await executor.close();
    const speedup = seq.ms / threaded.ms;
    if (maxWorkers === 2) speedupAt2 = speedup;
    rows.push([
      `ThreadedExecutor`,
      String(maxWorkers),
      format.ms(threaded.ms),
      format.ratio(speedup),
      format.ms(startup),
    ]);
  }
  printTable(
    `${TASKS} independent CPU-bound tasks of ~${TASK_MS} ms (${format.count(iterations)} xorshift rounds each), median of ${RUNS}`,
    [
      { header: "executor", align: "left" },
      { header: "workers" },
      { header: "run ms" },
      { header: "speedup" },
      { header: "pool start-up + import ms" },
    ],
    rows,
    [
      "speedup: sequential run time / threaded run time, on a warm pool (every thread started",
      "and this module imported in each before timing); start-up is measured apart.",
    ],
  );

  // Per-task cost of a task that does nothing: inline, then on the pool.
  const noopInline = await measure(timedRun(sequential, noopWorkflow), { runs: RUNS, warmups: 1 });
  const noopRows = [
    ["SequentialExecutor (inline)", "-", format.perTask(NOOP_TASKS, noopInline.ms), "-"],
  ];
  let overheadAt1;
  for (const maxWorkers of [1, 2]) {
    const executor = new fw.ThreadedExecutor({ maxWorkers, logger });
    await executor.execute(warmWorkflow);
    const pooled = await measure(timedRun(executor, noopWorkflow), { runs: RUNS, warmups: 1 });
    await executor.close();
    const perTask = (pooled.ms * 1000) / NOOP_TASKS;
    const overhead = perTask - (noopInline.ms * 1000) / NOOP_TASKS;
    if (maxWorkers === 1) overheadAt1 = overhead;
    noopRows.push([
      "ThreadedExecutor",
      String(maxWorkers),
      perTask.toFixed(1),
      overhead.toFixed(1),
    ]);
  }
  printTable(
    `${format.count(NOOP_TASKS)} independent no-op tasks, median of ${RUNS}`,
    [
      { header: "executor", align: "left" },
      { header: "workers" },
      { header: "µs per task" },
      { header: "thread overhead µs" },
    ],
    noopRows,
    [
      "thread overhead: µs per task on the pool minus µs per task inline (sending the attempt",
      "to a thread and its result back, encoded with the stores' serialization).",
    ],
  );

  printTargets("Targets", [
    judgeTarget({
      name: "CPU-bound speedup with 2 workers",
      value: speedupAt2,
      figure: speedupAt2 === undefined ? "" : format.ratio(speedupAt2),
      target: "≥ 1.80×",
      passes: (v) => v >= 1.8,
    }),
  ]);
  process.stdout.write(
    `\n  no-op task on a 1-thread pool: ${overheadAt1?.toFixed(1)} µs more than inline\n`,
  );
}

/** The number of rounds that takes about `ms` on this machine, after warming the JIT. */
function calibrate(ms) {
  crunch(2_000_000);
  let rounds = 1_000_000;
  for (;;) {
    const started = performance.now();
    crunch(rounds);
    const took = performance.now() - started;
    if (took >= 50) return Math.round((rounds * ms) / took);
    rounds *= 2;
  }
}
