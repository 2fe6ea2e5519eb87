/**
 * No-op tasks per second, "build+run": creating the tasks and the workflow, validation
 * and the run (AsyncExecutor, concurrency 8, default configuration: events and history
 * on), on chain, fan-out and random layered DAGs, for each store, beside p-graph running
 * the same nodes and edges at the same concurrency.
 */

import { fdatasyncMicros } from "../lib/disk.mjs";
import {
  assertCompleted,
  buildAndRun,
  loadFlowWeaver,
  makeTempDir,
  removeDir,
  sqliteFull,
  storeKinds,
} from "../lib/flowweaver.mjs";
import { SHAPES } from "../lib/graphs.mjs";
import { collectGarbage, format, measure, median, QUICK } from "../lib/measure.mjs";
import { pGraphBuildAndRun } from "../lib/pgraph.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const CONCURRENCY = 8;
const [SMALL, LARGE] = QUICK ? [1_000, 5_000] : [10_000, 100_000];
const SMALL_RUNS = QUICK ? 1 : 3;
const LARGE_RUNS = QUICK ? 1 : 3;
/** Alternating p-graph and FlowWeaver runs for the target ratio, so drift hits both alike. */
const TARGET_PAIRS = QUICK ? 1 : 7;
/** The layered DAG's width: the most tasks that can ever be ready at once. */
const WIDTH = 100;

const fw = await loadFlowWeaver();
const began = performance.now();

/** One build+run on a fresh store in a fresh directory; the store's open and close are not timed. */
function flowWeaverOnce(kind, shape, concurrency = CONCURRENCY) {
  return async () => {
    const dir = makeTempDir();
    const stateStore = kind.open(dir);
    try {
      const { ms, result } = await buildAndRun(fw, shape, { concurrency, stateStore });
      assertCompleted(result, shape.size);
      return { ms };
    } finally {
      await stateStore?.close();
      removeDir(dir);
    }
  };
}

/** Median of SMALL_RUNS at the small size (after one warm-up there), of LARGE_RUNS at the large size. */
async function bothSizes(once) {
  const small = await measure(once(SMALL), { runs: SMALL_RUNS, warmups: 1 });
  const large = await measure(once(LARGE), { runs: LARGE_RUNS });
  return { small: small.ms, large: large.ms };
}

/**
 * The target's own figure: p-graph and FlowWeaver (no store) on the large layered DAG,
 * run alternately TARGET_PAIRS times; the ratio of the two medians.
 */
async function targetPairs() {
  const shape = SHAPES.layered(LARGE);
  const peerOnce = () => pGraphBuildAndRun(shape, { concurrency: CONCURRENCY });
  const oursOnce = flowWeaverOnce(storeKinds(fw)[0], shape);
  const peerMs = [];
  const oursMs = [];
  for (let i = 0; i < TARGET_PAIRS; i++) {
    collectGarbage();
    peerMs.push((await peerOnce()).ms);
    collectGarbage();
    oursMs.push((await oursOnce()).ms);
  }
  return { peer: median(peerMs), ours: median(oursMs), peerMs, oursMs };
}

const shapes = Object.entries(SHAPES);
const peer = new Map();
for (const [name, make] of shapes) {
  const shapeOf = new Map([SMALL, LARGE].map((size) => [size, make(size)]));
  peer.set(
    name,
    await bothSizes(
      (size) => () => pGraphBuildAndRun(shapeOf.get(size), { concurrency: CONCURRENCY }),
    ),
  );
}

const rows = [];
const figures = new Map();
const kinds = storeKinds(fw);
for (const [name, make] of shapes) {
  const shapeOf = new Map([SMALL, LARGE].map((size) => [size, make(size)]));
  const p = peer.get(name);
  for (const kind of kinds) {
    const label = [name, kind.label];
    if (kind.missing) {
      rows.push([...label, `not measured: ${kind.missing}`]);
      continue;
    }
    try {
      const t = await bothSizes((size) => flowWeaverOnce(kind, shapeOf.get(size)));
      figures.set(`${name}/${kind.key}`, t);
      rows.push([
        ...label,
        format.rate(SMALL, t.small),
        format.perTask(SMALL, t.small),
        format.rate(LARGE, t.large),
        format.perTask(LARGE, t.large),
        format.ratio(t.large / LARGE / (t.small / SMALL)),
        format.rate(SMALL, p.small),
        format.rate(LARGE, p.large),
        format.ratio(p.small / t.small),
        format.ratio(p.large / t.large),
      ]);
    } catch (error) {
      rows.push([...label, `failed: ${error.message}`]);
    }
  }
  rows.push(null);
}
rows.pop();

// The durability target: SQLite with fsync per commit group, on the large layered DAG, at
// the usual concurrency and at the DAG's width (the most tasks ever ready at once).
const full = sqliteFull(fw);
const fullMs = new Map();
let syncMicros;
if (full.missing) {
  rows.push(null, ["layered", full.label, `not measured: ${full.missing}`]);
} else {
  const dir = makeTempDir();
  try {
    syncMicros = fdatasyncMicros(dir);
  } finally {
    removeDir(dir);
  }
  rows.push(null);
  for (const concurrency of [CONCURRENCY, WIDTH]) {
    const label = `${full.label}, concurrency ${concurrency}`;
    try {
      await flowWeaverOnce(full, SHAPES.layered(SMALL), concurrency)();
      const shape = SHAPES.layered(LARGE);
      const { ms } = await measure(flowWeaverOnce(full, shape, concurrency), { runs: LARGE_RUNS });
      fullMs.set(concurrency, ms);
      const p = peer.get("layered");
      rows.push([
        "layered",
        label,
        "",
        "",
        format.rate(LARGE, ms),
        format.perTask(LARGE, ms),
        "",
        "",
        format.rate(LARGE, p.large),
        "",
        format.ratio(p.large / ms),
      ]);
    } catch (error) {
      rows.push(["layered", label, `failed: ${error.message}`]);
    }
  }
}

const s = format.size(SMALL);
const l = format.size(LARGE);
printTable(
  `Build+run throughput, no-op tasks, AsyncExecutor({ maxConcurrent: ${CONCURRENCY} }) vs p-graph run({ concurrency: ${CONCURRENCY} })${QUICK ? "  [QUICK: small sizes, 1 run]" : ""}`,
  [
    { header: "shape", align: "left" },
    { header: "store", align: "left" },
    { header: `${s} tasks/s` },
    { header: "µs/task" },
    { header: `${l} tasks/s` },
    { header: "µs/task" },
    { header: `µs/task ${l}÷${s}` },
    { header: `p-graph ${s}/s` },
    { header: `p-graph ${l}/s` },
    { header: `FW÷p-graph ${s}` },
    { header: `FW÷p-graph ${l}` },
  ],
  rows,
  [
    `${s}: median of ${SMALL_RUNS} after one warm-up; ${l}: median of ${LARGE_RUNS}. Ratios are throughput, FlowWeaver over p-graph (above 1× = FlowWeaver faster).`,
    "Store open/close are outside the timing; each run gets a fresh store in a fresh temp directory.",
    `Shapes: chain; fan-out = one root and ${format.count(LARGE - 1)} children at ${l}; layered = width ${WIDTH}, 3 distinct parents from the layer before (mulberry32, seed 42).`,
    ...(syncMicros === undefined
      ? []
      : [
          `Durability "full" syncs the WAL at every commit; a slot frees only once its completion is durable, so at concurrency ${CONCURRENCY} a commit group holds at most ${CONCURRENCY} tasks.`,
          `This disk's write + fdatasync takes ${syncMicros.toFixed(0)} µs (median), so at concurrency ${CONCURRENCY} the syncs alone cap "full" at ${format.count((CONCURRENCY / syncMicros) * 1e6)} tasks/s.`,
        ]),
  ],
);

const pairs = await targetPairs();
printTable(
  `The ratio target: p-graph and FlowWeaver (no store) alternately, layered ${format.size(LARGE)}, concurrency ${CONCURRENCY}`,
  [
    { header: "runner", align: "left" },
    { header: "median ms" },
    { header: "tasks/s" },
    { header: "every run, ms", align: "left" },
  ],
  [
    [
      "p-graph",
      format.ms(pairs.peer),
      format.rate(LARGE, pairs.peer),
      pairs.peerMs.map(format.ms).join(" "),
    ],
    [
      "FlowWeaver",
      format.ms(pairs.ours),
      format.rate(LARGE, pairs.ours),
      pairs.oursMs.map(format.ms).join(" "),
    ],
  ],
  [
    `${TARGET_PAIRS} runs each, alternating, garbage collected before each; the target compares the medians.`,
  ],
);

const layered = figures.get("layered/memory");
const fullAt = (concurrency) => fullMs.get(concurrency);
printTargets(`Targets (${l} layered DAG)`, [
  judgeTarget({
    name: `FlowWeaver (memory) ÷ p-graph build+run, layered ${l}, concurrency ${CONCURRENCY}`,
    value: pairs.peer / pairs.ours,
    figure: format.ratio(pairs.peer / pairs.ours),
    target: "≥ 3× (goal 5×)",
    passes: (v) => v >= 3,
  }),
  judgeTarget({
    name: `SQLite durability "full", history on, layered ${l}, concurrency ${WIDTH}`,
    value: fullAt(WIDTH) && (LARGE / fullAt(WIDTH)) * 1000,
    figure: fullAt(WIDTH) ? `${format.rate(LARGE, fullAt(WIDTH))} tasks/s` : "",
    target: "≥ 50,000 tasks/s",
    passes: (v) => v >= 50_000,
  }),
  judgeTarget({
    name: `  the same at concurrency ${CONCURRENCY} (fsync-bound, see the note above)`,
    value: fullAt(CONCURRENCY) && (LARGE / fullAt(CONCURRENCY)) * 1000,
    figure: fullAt(CONCURRENCY) ? `${format.rate(LARGE, fullAt(CONCURRENCY))} tasks/s` : "",
    target: "≥ 50,000 tasks/s",
    passes: (v) => v >= 50_000,
  }),
  judgeTarget({
    name: `cost per task ${l} ÷ ${s} (layered, memory)`,
    value: layered && layered.large / LARGE / (layered.small / SMALL),
    figure: layered ? format.ratio(layered.large / LARGE / (layered.small / SMALL)) : "",
    target: "≤ 1.5× (flat)",
    passes: (v) => v <= 1.5,
  }),
]);
process.stdout.write(`\n  (scenario took ${((performance.now() - began) / 1000).toFixed(0)} s)\n`);
