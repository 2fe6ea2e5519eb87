/**
 * Performance Optimization: "Use State Store for Large Results".
 *
 * process_large_file parses a large CSV export into rows (tens of megabytes of objects
 * for a big file). With a persistent store (SQLite here), a result is written to disk
 * when its task completes, and once every task that needs it has completed, FlowWeaver
 * lets it go from memory: a long chain of big results does not pile up in RAM.
 * `node.result` still answers afterwards, reading the value back from the store.
 * Results keep their types through the store: the `Date`s below come back as `Date`s.
 *
 *   npx tsx examples/large_results.ts            # 200,000 rows
 *   npx tsx examples/large_results.ts 1000000    # a bigger file
 */
import { createReadStream, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { SequentialExecutor, SQLiteStateStore, task, Workflow } from "../src/index.js";
import { runIfMain } from "./support/main.js";
import { stringParam } from "./support/params.js";
import { printRun } from "./support/report.js";

export interface SaleRow {
  readonly orderId: number;
  readonly region: string;
  readonly amount: number;
  readonly placedAt: Date;
}

export interface SalesByRegion {
  readonly rows: number;
  readonly byRegion: ReadonlyMap<string, number>;
  readonly firstSale: Date | undefined;
}

// Streams the file line by line: the file itself is never held in memory whole.
export const process_large_file = task(
  "process_large_file",
  async (_inputs, ctx) => {
    const lines = createInterface({ input: createReadStream(stringParam(ctx, "csvPath")) });
    const rows: SaleRow[] = [];
    let header = true;
    for await (const line of lines) {
      ctx.signal.throwIfAborted();
      if (header || line === "") {
        header = false;
        continue;
      }
      const [orderId, region, amount, placedAt] = line.split(",");
      rows.push({
        orderId: Number(orderId),
        region: region ?? "",
        amount: Number(amount),
        placedAt: new Date(placedAt ?? ""),
      });
    }
    return rows;
  },
  { timeout: "10m" },
);

export const summarize_sales = task(
  "summarize_sales",
  ({ process_large_file }: { process_large_file: SaleRow[] }): SalesByRegion => {
    const byRegion = new Map<string, number>();
    let firstSale: Date | undefined;
    for (const row of process_large_file) {
      byRegion.set(row.region, (byRegion.get(row.region) ?? 0) + row.amount);
      if (!firstSale || row.placedAt < firstSale) firstSale = row.placedAt;
    }
    return { rows: process_large_file.length, byRegion, firstSale };
  },
);

export const workflow = new Workflow({
  name: "large_data",
  description: "Parse a large sales export and total it by region",
  module: import.meta.url,
});
export const largeFile = workflow.addTask(process_large_file);
export const summary = workflow.addTask(summarize_sales, { dependsOn: [process_large_file] });

const REGIONS = ["north", "south", "east", "west"];

/** Writes a sample export of `rows` sales (deterministic) to `path`. */
export function writeSampleCsv(path: string, rows: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const start = Date.UTC(2026, 0, 1);
  const lines = ["order_id,region,amount,placed_at"];
  for (let i = 1; i <= rows; i++) {
    const placedAt = new Date(start + ((i * 7_919) % (365 * 86_400)) * 1000).toISOString();
    lines.push(`${i},${REGIONS[i % REGIONS.length]},${(i * 37) % 500},${placedAt}`);
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

runIfMain(import.meta.url, async () => {
  const rows = Number(process.argv[2] ?? 200_000);
  const csvPath = ".flowweaver/large.csv";
  writeSampleCsv(csvPath, rows);
  const stateStore = new SQLiteStateStore(".flowweaver/state.db");
  try {
    // A fresh start each time, so the file is really parsed (not restored) on every run.
    await stateStore.clearAllStates("large_data");
    const run = await new SequentialExecutor({ stateStore }).execute(workflow, {
      params: { csvPath },
    });
    printRun(run);
    console.log(summary.result);
    // Released from memory once summarize_sales completed; read back from SQLite here.
    console.log(`rows read back from the store: ${largeFile.result?.length}`);
  } finally {
    await stateStore.close();
  }
});
