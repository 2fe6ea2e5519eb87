/**
 * CPU-bound work on worker threads: 8 independent tasks of about 250 ms of pure
 * computation each, on SequentialExecutor and on ThreadedExecutor with 1, 2 and 4
 * workers, and the speedup over sequential. Each pool is started and warmed (every
 * thread started, this module imported in each) before anything is timed; that start-up
 * is printed apart and is not in the speedup. The contenders run in turn, round after
 * round, so that a change in the machine's load (other processes share its cores) hits
 * them alike; a speedup is the median of the per-round ratios. The same work on plain
 * worker threads, split by hand, is the reference for what the machine allows. Then the
 * per-task cost of a no-op task on the pool, against the same task run inline.
 *
 * This file is also the workflow module the worker threads import (module:
 * import.meta.url), so the measuring code runs on the main thread only.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { loadFlowWeaver } from "../lib/flowweaver.mjs";
import { collectGarbage, format, measure, median, QUICK } from "../lib/measure.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const TASKS = 8;
const TASK_MS = QUICK ? 25 : 250;
const ROUNDS = QUICK ? 1 : 3;
const WORKERS = [1, 2, 4];
const NOOP_TASKS = QUICK ? 200 : 2_000;
/** workerData of the plain worker threads of the reference measurement. */
const RAW = "cpu-threaded:raw";

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
else if (workerData === RAW) serveRaw();

async function main() {
  const logger = fw.silentLogger;
  const iterations = calibrate(TASK_MS);
  const expected = crunch(iterations);
  const params = { iterations };

  /** One timed run of `workflow`; checks that every task ran (and computed the right value). */
  const timedRun = (executor, workflow) => async () => {
    const started = performance.now();
    const run = await executor.execute(workflow, { params });
    const ms = performance.now() - started;
    if (run.status !== "COMPLETED") throw new Error(`${workflow.name} ended ${run.status}`);
    if (workflow === cpuWorkflow) {
      for (const node of workflow.tasks) {
        if (node.result !== expected) {
          throw new Error(`${node.name} computed ${node.result}, expected ${expected}`);
        }
      }
    }
    return { ms };
  };

  // Every contender is ready before the first round: pools started, modules imported.
  const contenders = [
    {
      label: "SequentialExecutor",
      workers: "-",
      run: timedRun(new fw.SequentialExecutor({ logger }), cpuWorkflow),
    },
  ];
  const raw = await startRawReference(2, iterations, expected);
  contenders.push({
    label: "worker_threads alone (reference)",
    workers: "2",
    startup: raw.startup,
    run: raw.run,
  });
  const pools = [];
  for (const maxWorkers of WORKERS) {
    const startedAt = performance.now();
    const executor = new fw.ThreadedExecutor({ maxWorkers, logger });
    await executor.execute(warmWorkflow);
    const startup = performance.now() - startedAt;
    if (executor.threads !== maxWorkers) {
      throw new Error(`the warm-up started ${executor.threads} threads, not ${maxWorkers}`);
    }
    pools.push(executor);
    contenders.push({
      label: "ThreadedExecutor",
      workers: String(maxWorkers),
      startup,
      run: timedRun(executor, cpuWorkflow),
    });
  }

  const samples = contenders.map(() => []);
  for (let round = -1; round < ROUNDS; round++) {
    for (const [i, contender] of contenders.entries()) {
      collectGarbage();
      const { ms } = await contender.run();
      if (round >= 0) samples[i].push(ms); // round -1 warms the JIT in every thread
    }
  }
  await raw.close();

  const sequentialSamples = samples[0];
  const rows = [];
  let speedupAt2;
  for (const [i, contender] of contenders.entries()) {
    const ratios = samples[i].map((ms, round) => sequentialSamples[round] / ms);
    const speedup = median(ratios);
    if (contender.label === "ThreadedExecutor" && contender.workers === "2") speedupAt2 = speedup;
    rows.push([
      contender.label,
      contender.workers,
      format.ms(median(samples[i])),
      format.ratio(speedup),
      contender.startup === undefined ? "-" : format.ms(contender.startup),
    ]);
  }
  printTable(
    `${TASKS} independent CPU-bound tasks of ~${TASK_MS} ms (${format.count(iterations)} xorshift rounds each), ${ROUNDS} round(s)`,
    [
      { header: "executor", align: "left" },
      { header: "workers" },
      { header: "run ms (median)" },
      { header: "speedup" },
      { header: "start-up + import ms" },
    ],
    rows,
    [
      "speedup: median over rounds of sequential time / this time in the same round, on warm",
      "threads; start-up (threads started, this module imported in each) is measured apart.",
    ],
  );

  // Per-task cost of a task that does nothing: inline, then on a warm 1- and 2-thread pool.
  const noopInline = await measure(timedRun(new fw.SequentialExecutor({ logger }), noopWorkflow), {
    runs: ROUNDS,
    warmups: 1,
  });
  const inlinePerTask = (noopInline.ms * 1000) / NOOP_TASKS;
  const noopRows = [["SequentialExecutor (inline)", "-", inlinePerTask.toFixed(1), "-"]];
  let overheadAt1;
  for (const executor of pools.slice(0, 2)) {
    const pooled = await measure(timedRun(executor, noopWorkflow), { runs: ROUNDS, warmups: 1 });
    const perTask = (pooled.ms * 1000) / NOOP_TASKS;
    if (executor.maxWorkers === 1) overheadAt1 = perTask - inlinePerTask;
    noopRows.push([
      "ThreadedExecutor",
      String(executor.maxWorkers),
      perTask.toFixed(1),
      (perTask - inlinePerTask).toFixed(1),
    ]);
  }
  await Promise.all(pools.map((executor) => executor.close()));
  printTable(
    `${format.count(NOOP_TASKS)} independent no-op tasks, median of ${ROUNDS}`,
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
    `\n  no-op task on a 1-thread pool: ${overheadAt1?.toFixed(1)} µs more than inline` +
      `\n  reference: plain worker_threads reached ${rows[1]?.[3]} in the same rounds\n`,
  );
}

/**
 * `threads` plain worker threads (no FlowWeaver), started and warmed; `run` does the
 * TASKS computations split evenly between them: the reference for the speedup.
 */
async function startRawReference(threads, iterations, expected) {
  const startedAt = performance.now();
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL(import.meta.url), { workerData: RAW }),
  );
  const ask = (worker, count) =>
    new Promise((resolve, reject) => {
      const onError = (error) => reject(error);
      worker.once("error", onError);
      worker.once("message", (result) => {
        worker.off("error", onError);
        if (result === expected) resolve();
        else reject(new Error(`raw worker computed ${result}, expected ${expected}`));
      });
      worker.postMessage({ iterations, count });
    });
  await Promise.all(workers.map((worker) => ask(worker, 1)));
  return {
    startup: performance.now() - startedAt,
    run: async () => {
      const started = performance.now();
      await Promise.all(workers.map((worker) => ask(worker, TASKS / threads)));
      return { ms: performance.now() - started };
    },
    close: () => Promise.all(workers.map((worker) => worker.terminate())),
  };
}

/** In a reference worker: crunch `count` times per request, answer with the last value. */
function serveRaw() {
  parentPort?.on("message", ({ iterations, count }) => {
    let result = 0;
    for (let i = 0; i < count; i++) result = crunch(iterations);
    parentPort?.postMessage(result);
  });
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
