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
 * Given no `csvPath`, process_large_file parses a sample export of `rows` rows (200,000
 * unless said otherwise) that it writes to a temporary directory and deletes afterwards.
 *
 *   npx flowweaver run examples/large_results.ts
 *   npx flowweaver run examples/large_results.ts --param rows=1000000 --fresh
 *   npx flowweaver run examples/large_results.ts --param csvPath=exports/sales.csv
 *   npx tsx examples/large_results.ts            # 200,000 rows
 *   npx tsx examples/large_results.ts 1000000    # a bigger file
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { SequentialExecutor, SQLiteStateStore, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { numberParam, stringParam } from "./support/params.js";
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

// Parses the export at `csvPath`, or, without one, a sample it writes and deletes after.
export const process_large_file = task(
  "process_large_file",
  async (_inputs, ctx) => {
    if (ctx.params.csvPath !== undefined) {
      return parseSalesCsv(stringParam(ctx, "csvPath"), ctx.signal);
    }
    const dir = mkdtempSync(join(tmpdir(), "flowweaver-large-results-"));
    try {
      const csvPath = join(dir, "sales.csv");
      writeSampleCsv(csvPath, numberParam(ctx, "rows", 200_000));
      return await parseSalesCsv(csvPath, ctx.signal);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  { timeout: "10m" },
);

/**
 * The rows of a sales export, parsed as they stream in: the file itself is never held in
 * memory whole. Stops when `signal` aborts.
 */
export async function parseSalesCsv(path: string, signal: AbortSignal): Promise<SaleRow[]> {
  const input = createReadStream(path);
  try {
    const rows: SaleRow[] = [];
    let header = true;
    for await (const line of createInterface({ input })) {
      signal.throwIfAborted();
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
  } finally {
    // Stopped early (abort), the stream would otherwise keep the file open.
    input.destroy();
  }
}

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
