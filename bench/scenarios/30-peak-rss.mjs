/**
 * Peak memory of a chain of 50 tasks, each returning a fresh 20 MB Buffer, with the SQLite
 * store: stored results whose dependents have all completed must leave memory, so the
 * process must not hold anything like 50 × 20 MB. Alone in its process (run.mjs gives every
 * scenario its own), so the peak is this run's; read from `process.resourceUsage().maxRSS`.
 */
import {
  assertCompleted,
  loadFlowWeaver,
  makeTempDir,
  removeDir,
  storeKinds,
} from "../lib/flowweaver.mjs";
import { format } from "../lib/measure.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const TASKS = 50;
const BYTES = 20 * 1024 * 1024;
const LIMIT_MB = 200;

const fw = await loadFlowWeaver();
const sqlite = storeKinds(fw).find((k) => k.key === "sqlite");
const mb = (kilobytes) => format.mb(kilobytes * 1024);

const rows = [];
let peakKb;
if (sqlite.missing) {
  rows.push(["SQLite", `not measured: ${sqlite.missing}`]);
} else {
  const baselineKb = process.resourceUsage().maxRSS;
  const dir = makeTempDir();
  const stateStore = sqlite.open(dir);
  try {
    const workflow = new fw.Workflow("peak_rss");
    for (let i = 0; i < TASKS; i++) {
      const upstream = i === 0 ? undefined : `chunk_${i - 1}`;
      const fill = (i % 255) + 1;
      // Reads its input so the upstream result really reaches it, then makes a new buffer.
      const fn = (inputs) => {
        if (upstream !== undefined && inputs[upstream]?.length !== BYTES) {
          throw new Error(`chunk_${i} did not receive ${upstream}'s 20 MB buffer`);
        }
        return Buffer.alloc(BYTES, fill);
      };
      workflow.addTask(fw.task(`chunk_${i}`, fn), { dependsOn: upstream ? [upstream] : [] });
    }
    const executor = new fw.AsyncExecutor({ maxConcurrent: 8, stateStore });
    const started = performance.now();
    const result = await executor.execute(workflow);
    const ms = performance.now() - started;
    assertCompleted(result, TASKS);
    peakKb = process.resourceUsage().maxRSS;
    const last = workflow.getTask(`chunk_${TASKS - 1}`).result;
    if (!Buffer.isBuffer(last) || last.length !== BYTES || last[0] !== ((TASKS - 1) % 255) + 1) {
      throw new Error("the last task's stored result did not read back as its 20 MB buffer");
    }
    const now = process.memoryUsage();
    rows.push([
      "SQLite",
      `${TASKS} × ${format.mb(BYTES)} MB`,
      format.ms(ms),
      mb(baselineKb),
      mb(peakKb),
      format.mb(now.rss),
      format.mb(now.heapUsed),
      format.mb(now.external + now.arrayBuffers),
    ]);
  } finally {
    await stateStore.close();
    removeDir(dir);
  }
}

printTable(
  "Peak RSS, chain of 50 tasks each returning a fresh 20 MB Buffer (AsyncExecutor, SQLite store)",
  [
    { header: "store", align: "left" },
    { header: "results" },
    { header: "run ms" },
    { header: "RSS before MB" },
    { header: "peak RSS MB" },
    { header: "RSS after MB" },
    { header: "heap used MB" },
    { header: "external+buffers MB" },
  ],
  rows,
  [
    "peak RSS = process.resourceUsage().maxRSS at the end, for the whole process (node itself included).",
  ],
);
printTargets("Target", [
  judgeTarget({
    name: `peak RSS, ${TASKS} × 20 MB chain, SQLite`,
    value: peakKb === undefined ? undefined : peakKb / 1024,
    figure: peakKb === undefined ? "" : `${mb(peakKb)} MB`,
    target: `< ${LIMIT_MB} MB`,
    passes: (v) => v < LIMIT_MB,
    sameInQuick: true,
  }),
]);
