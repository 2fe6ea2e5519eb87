/**
 * Resume: a workflow whose tasks are all stored as completed. The first run stores every
 * task; the store is closed and opened again (as a new process would), and a second
 * `execute` with a new Workflow object must restore everything and run nothing.
 */
import {
  assertCompleted,
  buildAndRun,
  buildWorkflow,
  loadFlowWeaver,
  makeTempDir,
  removeDir,
  storeKinds,
} from "../lib/flowweaver.mjs";
import { SHAPES } from "../lib/graphs.mjs";
import { collectGarbage, format, median, QUICK } from "../lib/measure.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const CONCURRENCY = 8;
const [SMALL, LARGE] = QUICK ? [1_000, 5_000] : [10_000, 100_000];
const SMALL_RESUMES = QUICK ? 1 : 3;

const fw = await loadFlowWeaver();
const began = performance.now();

/**
 * Stores a fully completed run of `shape`, then resumes it `resumes` times, each with a
 * fresh store object and a new Workflow. Returns the first run's time and the medians of
 * opening the store, building the workflow, and the resuming `execute` alone.
 */
async function storeThenResume(kind, shape, resumes) {
  const dir = makeTempDir();
  try {
    const first = kind.open(dir);
    let firstMs;
    try {
      const run = await buildAndRun(fw, shape, { concurrency: CONCURRENCY, stateStore: first });
      assertCompleted(run.result, shape.size);
      firstMs = run.ms;
    } finally {
      await first.close();
    }
    const open = [];
    const build = [];
    const execute = [];
    for (let r = 0; r < resumes; r++) {
      collectGarbage();
      const t0 = performance.now();
      const stateStore = kind.open(dir);
      const t1 = performance.now();
      try {
        const workflow = buildWorkflow(fw, shape);
        const executor = new fw.AsyncExecutor({ maxConcurrent: CONCURRENCY, stateStore });
        const t2 = performance.now();
        const result = await executor.execute(workflow);
        const t3 = performance.now();
        assertCompleted(result, shape.size, { restored: true });
        open.push(t1 - t0);
        build.push(t2 - t1);
        execute.push(t3 - t2);
      } finally {
        await stateStore.close();
      }
    }
    return { firstMs, open: median(open), build: median(build), execute: median(execute) };
  } finally {
    removeDir(dir);
  }
}

// A MemoryStateStore kept within this process resumes too: the floor, with no I/O. One per
// directory, so each measurement starts empty like the file stores do.
const memoryStores = new Map();
const kinds = [
  {
    key: "memory",
    label: "MemoryStateStore (same process)",
    open: (dir) => {
      if (!memoryStores.has(dir)) memoryStores.set(dir, new fw.MemoryStateStore());
      return memoryStores.get(dir);
    },
  },
  ...storeKinds(fw).filter((k) => k.key !== "memory"),
];
const rows = [];
const figures = new Map();
for (const kind of kinds) {
  if (kind.missing) {
    rows.push([kind.label, `not measured: ${kind.missing}`]);
    continue;
  }
  try {
    await storeThenResume(kind, SHAPES.layered(SMALL), 1); // warm-up
    const small = await storeThenResume(kind, SHAPES.layered(SMALL), SMALL_RESUMES);
    const large = await storeThenResume(kind, SHAPES.layered(LARGE), 1);
    figures.set(kind.key, large);
    rows.push([
      kind.label,
      format.ms(small.execute),
      format.ms(large.firstMs),
      format.ms(large.open),
      format.ms(large.build),
      format.ms(large.execute),
      format.perTask(LARGE, large.execute),
      format.ms(large.open + large.build + large.execute),
    ]);
  } catch (error) {
    rows.push([kind.label, `failed: ${error.message}`]);
  }
}

const s = format.size(SMALL);
const l = format.size(LARGE);
printTable(
  `Resume of a fully stored run (layered DAG, AsyncExecutor({ maxConcurrent: ${CONCURRENCY} }))${QUICK ? "  [QUICK]" : ""}`,
  [
    { header: "store", align: "left" },
    { header: `resume ${s} ms` },
    { header: `first run ${l} ms` },
    { header: "open store ms" },
    { header: "build wf ms" },
    { header: `resume ${l} ms` },
    { header: "µs/task" },
    { header: "open+build+resume ms" },
  ],
  rows,
  [
    `"resume" is the second execute() alone, with a new Workflow object and a freshly opened store; every task must come back restored (checked).`,
    `${s}: median of ${SMALL_RESUMES} resumes after a warm-up; ${l}: one resume.`,
  ],
);

printTargets(
  `Targets (resume of ${l} tasks)`,
  kinds
    .filter((kind) => kind.key !== "memory")
    .map((kind) => {
      const f = figures.get(kind.key);
      return judgeTarget({
        name: `resume ${l}, ${kind.label}`,
        value: f?.execute,
        figure: f ? `${format.ms(f.execute)} ms` : "",
        target: "< 1,000 ms",
        passes: (v) => v < 1000,
      });
    }),
);
process.stdout.write(`\n  (scenario took ${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
