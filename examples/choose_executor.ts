/**
 * Performance Optimization: "Choose Right Executor" (the AsyncExecutor and
 * SequentialExecutor parts; the ThreadedExecutor part is threaded_choose_executor.ts).
 *
 * - regional_sales_fetch is I/O-bound: six HTTP calls that mostly wait. AsyncExecutor
 *   keeps up to `maxConcurrent` of them in flight on the event loop, so the run takes
 *   about as long as the slowest call, not the sum of all six (the seed's "bad" case:
 *   SequentialExecutor waits for each in turn; the main block below shows both).
 * - sales_statistics is CPU-bound: SequentialExecutor runs it one task at a time.
 *
 * The file exports both workflows, so the CLI needs to be told which one to run:
 *
 *   npx flowweaver run examples/choose_executor.ts --workflow regional_sales_fetch --executor async
 *   npx flowweaver run examples/choose_executor.ts --workflow sales_statistics
 *   npx tsx examples/choose_executor.ts    # both executors on the I/O workflow, timed
 */
import { AsyncExecutor, type Executor, SequentialExecutor, task, Workflow } from "flowweaver";
import { getJson } from "./support/http.js";
import { delayed, dynamic, type Route, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { type OrderRow, querySource } from "./support/source-db.js";
import { lazyStandIn } from "./support/stand-in.js";

export interface RegionSales {
  readonly region: string;
  readonly amount: number;
}

export const REGIONS = ["north", "south", "east", "west", "central", "islands"] as const;

/** The sales API for runs without an `apiUrl` parameter, started by the first fetch. */
export const salesApi = lazyStandIn("the sales API", salesRoutes);

// One fetch task per region: independent, so they can all wait at the same time.
const fetches = REGIONS.map((region) =>
  task(
    `fetch_sales_${region}`,
    async (_inputs, ctx) =>
      getJson<RegionSales>(`${await serviceUrl(ctx, "apiUrl", salesApi)}/sales/${region}`, {
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

/** The stand-in sales API's routes: each call takes 200 ms, like a real API. */
export function salesRoutes(): Record<string, Route> {
  return { "/sales/*": delayed(200, salesRoute()) };
}

runIfMain(import.meta.url, async () => {
  await using api = await startLocalApi(salesRoutes());
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
