/**
 * Persistence & Resumability: "Explicit State Cleanup".
 *
 * A stored completion is reused until something says otherwise, which is what makes
 * resume work, and what makes stale results possible (the seed's "old data cached from
 * two weeks ago"). Three ways to say otherwise:
 * - `await stateStore.clearAllStates("exchange_rates")` (or with no name: every workflow)
 *   before a full re-run, as this file does;
 * - a `version` on the task: bump it when its logic changes and its stored result (and
 *   its dependents') become stale;
 * - a `runKey` per period (see daily_report.ts), so each day has its own partition.
 *
 * On the command line, `--fresh` clears the workflow's state before the run, and
 * `flowweaver clear exchange_rates` clears it between runs.
 *
 *   npx flowweaver run examples/state_cleanup.ts           # a second run restores both tasks
 *   npx flowweaver run examples/state_cleanup.ts --fresh   # clears first: both run again
 *   npx tsx examples/state_cleanup.ts
 */
import { JSONStateStore, SequentialExecutor, task, Workflow } from "flowweaver";
import { getJson } from "./support/http.js";
import { json, type LocalApi, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";
import { querySource } from "./support/source-db.js";
import { lazyStandIn } from "./support/stand-in.js";

/** Units of each currency per US dollar. */
export type Rates = Readonly<Record<string, number>>;

export const fetch_exchange_rates = task(
  "fetch_exchange_rates",
  async (_inputs, ctx) =>
    getJson<Rates>(`${await serviceUrl(ctx, "apiUrl", ratesApi)}/rates`, { signal: ctx.signal }),
  { retries: 2, retryDelay: "500ms", timeout: "30s" },
);

export const convert_revenue = task(
  "convert_revenue",
  ({ fetch_exchange_rates }: { fetch_exchange_rates: Rates }) => {
    const [row] = querySource<{ total: number }>("SELECT SUM(amount) AS total FROM orders");
    const usd = row?.total ?? 0;
    const converted: Record<string, number> = {};
    for (const [currency, rate] of Object.entries(fetch_exchange_rates)) {
      converted[currency] = Math.round(usd * rate * 100) / 100;
    }
    return converted;
  },
  // Bump when the conversion changes: stored results of another version are stale.
  { version: 1 },
);

export const workflow = new Workflow({
  name: "exchange_rates",
  description: "Convert total order revenue with today's exchange rates",
  module: import.meta.url,
});
workflow.addTask(fetch_exchange_rates);
workflow.addTask(convert_revenue, { dependsOn: [fetch_exchange_rates] });

export const RATES: Rates = { USD: 1, EUR: 0.92, GBP: 0.79, JPY: 151.3 };

export function startRatesApi(rates: Rates = RATES): Promise<LocalApi> {
  return startLocalApi({ "/rates": json(rates) });
}

/** The rates API for runs without an `apiUrl` parameter, started by fetch_exchange_rates. */
export const ratesApi = lazyStandIn("the exchange rates API", () => ({ "/rates": json(RATES) }));

runIfMain(import.meta.url, async () => {
  await using api = await startRatesApi();
  const stateStore = new JSONStateStore(".flowweaver/exchange_rates.json");
  const executor = new SequentialExecutor({ stateStore });
  const params = { apiUrl: api.url };
  try {
    console.log("Run 1 (anything already stored is restored):");
    printRun(await executor.execute(workflow, { params }));

    // Clear state for a full re-run: every task executes again.
    await stateStore.clearAllStates("exchange_rates");
    console.log("\nRun 2, after clearAllStates:");
    printRun(await executor.execute(workflow, { params }));
    console.log(workflow.getTask("convert_revenue").result);
  } finally {
    await stateStore.close();
  }
});
