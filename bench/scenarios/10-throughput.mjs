/**
 * No-op tasks per second, "build+run": creating the tasks and the workflow, validation
 * and the run (AsyncExecutor, concurrency 8, default configuration: events and history
 * on), on chain, fan-out and random layered DAGs, for each store, beside p-graph running
 * the same nodes and edges at the same concurrency.
 */

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
import { format, measure, QUICK } from "../lib/measure.mjs";
import { pGraphBuildAndRun } from "../lib/pgraph.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const CONCURRENCY = 8;
const [SMALL, LARGE] = QUICK ? [1_000, 5_000] : [10_000, 100_000];
const SMALL_RUNS = QUICK ? 1 : 3;

const fw = await loadFlowWeaver();
const began = performance.now();

/** One build+run on a fresh store in a fresh directory; the store's open and close are not timed. */
function flowWeaverOnce(kind, shape) {
  return async () => {
    const dir = makeTempDir();
    const stateStore = kind.open(dir);
    try {
      const { ms, result } = await buildAndRun(fw, shape, { concurrency: CONCURRENCY, stateStore });
      assertCompleted(result, shape.size);
      return { ms };
    } finally {
      await stateStore?.close();
      removeDir(dir);
    }
  };
}

/** Median of SMALL_RUNS at the small size (after one warm-up there), one run at the large size. */
async function bothSizes(once) {
  const small = await measure(once(SMALL), { runs: SMALL_RUNS, warmups: 1 });
  const large = await measure(once(LARGE), { runs: 1 });
  return { small: small.ms, large: large.ms };
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

// The durability target: SQLite with fsync per commit group, on the large layered DAG.
const full = sqliteFull(fw);
let fullMs;
if (full.missing) {
  rows.push(null, ["layered", full.label, `not measured: ${full.missing}`]);
} else {
  try {
    const shape = SHAPES.layered(LARGE);
    await flowWeaverOnce(full, SHAPES.layered(SMALL))();
    fullMs = (await measure(flowWeaverOnce(full, shape), { runs: 1 })).ms;
    const p = peer.get("layered");
    rows.push(null, [
      "layered",
      full.label,
      "",
      "",
      format.rate(LARGE, fullMs),
      format.perTask(LARGE, fullMs),
      "",
      "",
      format.rate(LARGE, p.large),
      "",
      format.ratio(p.large / fullMs),
    ]);
  } catch (error) {
    rows.push(null, ["layered", full.label, `failed: ${error.message}`]);
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
    `${s}: median of ${SMALL_RUNS} after one warm-up; ${l}: one run. Ratios are throughput, FlowWeaver over p-graph (above 1× = FlowWeaver faster).`,
    "Store open/close are outside the timing; each run gets a fresh store in a fresh temp directory.",
    `Shapes: chain; fan-out = one root and ${format.count(LARGE - 1)} children at ${l}; layered = width 100, 3 distinct parents from the layer before (mulberry32, seed 42).`,
  ],
);

const layered = figures.get("layered/memory");
const peerLayered = peer.get("layered");
printTargets(`Targets (${l} layered DAG, concurrency ${CONCURRENCY})`, [
  judgeTarget({
    name: `FlowWeaver (memory) ÷ p-graph build+run, layered ${l}`,
    value: layered && peerLayered.large / layered.large,
    figure: layered ? format.ratio(peerLayered.large / layered.large) : "",
    target: "≥ 3× (goal 5×)",
    passes: (v) => v >= 3,
  }),
  judgeTarget({
    name: `SQLite durability "full", history on, layered ${l}`,
    value: fullMs && (LARGE / fullMs) * 1000,
    figure: fullMs ? `${format.rate(LARGE, fullMs)} tasks/s` : "",
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
