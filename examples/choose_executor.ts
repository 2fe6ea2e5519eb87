/**
 * Performance Optimization: "Choose Right Executor" (the AsyncExecutor and
 * SequentialExecutor parts; the ThreadedExecutor part comes with ThreadedExecutor).
 *
 * - regional_sales_fetch is I/O-bound: six HTTP calls that mostly wait. AsyncExecutor
 *   keeps up to `maxConcurrent` of them in flight on the event loop, so the run takes
 *   about as long as the slowest call, not the sum of all six (the seed's "bad" case:
 *   SequentialExecutor waits for each in turn; the main block below shows both).
 * - sales_statistics is CPU-bound: SequentialExecutor runs it one task at a time.
 *
 *   npx tsx examples/choose_executor.ts
 */
import { AsyncExecutor, type Executor, SequentialExecutor, task, Workflow } from "../src/index.js";
import { getJson } from "./support/http.js";
import { delayed, dynamic, type Route, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { stringParam } from "./support/params.js";
import { type OrderRow, querySource } from "./support/source-db.js";

export interface RegionSales {
  readonly region: string;
  readonly amount: number;
}

export const REGIONS = ["north", "south", "east", "west", "central", "islands"] as const;

// One fetch task per region: independent, so they can all wait at the same time.
const fetches = REGIONS.map((region) =>
  task(
    `fetch_sales_${region}`,
    (_inputs, ctx) =>
      getJson<RegionSales>(`${stringParam(ctx, "apiUrl")}/sales/${region}`, {
        signal: ctx.signal,
      }),
    { retries: 2, retryDelay: "200ms", timeout: "30s" },
  ),
);

export const combine_regions = task(
  "combine_regions",
  (inputs: Readonly<Record<string, RegionSales>>) => {
    const regions = Object.values(inputs).sort((a, b) => b.amount - a.amount);
    return { total: regions.reduce((sum, r) => sum + r.amount, 0), best: regions[0]?.region };
  },
);

export const workflow = new Workflow({
  name: "regional_sales_fetch",
  description: "Fetch every region's sales from the sales API and combine them",
  module: import.meta.url,
});
for (const fetchTask of fetches) workflow.addTask(fetchTask);
workflow.addTask(combine_regions, { dependsOn: fetches });

export const compute_order_statistics = task("compute_order_statistics", () => {
  const amounts = querySource<OrderRow>("SELECT amount FROM orders")
    .map((order) => order.amount)
    .sort((a, b) => a - b);
  const percentile = (p: number) =>
    amounts[Math.min(amounts.length - 1, Math.floor(p * amounts.length))];
  const mean = amounts.reduce((sum, a) => sum + a, 0) / amounts.length;
  const variance = amounts.reduce((sum, a) => sum + (a - mean) ** 2, 0) / amounts.length;
  return {
    count: amounts.length,
    mean,
    stdDev: Math.sqrt(variance),
    p50: percentile(0.5),
    p95: percentile(0.95),
  };
});

export const cpuWorkflow = new Workflow({
  name: "sales_statistics",
  description: "Statistics over every order amount",
  module: import.meta.url,
});
cpuWorkflow.addTask(compute_order_statistics);

/** The stand-in sales API: `GET /sales/<region>`, each answer the same for a region. */
export function salesRoute(): Route {
  return dynamic((url) => {
    const region = url.pathname.split("/").at(-1) ?? "";
    const index = (REGIONS as readonly string[]).indexOf(region);
    return index === -1 ? undefined : { region, amount: 10_000 + index * 1_250 };
  });
}

runIfMain(import.meta.url, async () => {
  // Each call takes 200 ms, like a real API.
  await using api = await startLocalApi({ "/sales/*": delayed(200, salesRoute()) });
  const params = { apiUrl: api.url };
  const timed = async (label: string, executor: Executor) => {
    const run = await executor.execute(workflow, { params });
    console.log(`${label.padEnd(40)} ${run.duration.toFixed(2)}s`);
  };
  await timed("I/O-bound on AsyncExecutor(50):", new AsyncExecutor({ maxConcurrent: 50 }));
  await timed("I/O-bound on SequentialExecutor (bad):", new SequentialExecutor());
  console.log(workflow.getTask("combine_regions").result);

  const stats = await new SequentialExecutor().execute(cpuWorkflow);
  console.log(`CPU-bound on SequentialExecutor: ${stats.duration.toFixed(3)}s`);
  console.log(cpuWorkflow.getTask("compute_order_statistics").result);
});
