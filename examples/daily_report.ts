/**
 * Workflow Design: "Design for Resumability"; Persistence & Resumability: "Design for
 * Resumability from Day One" and "SQLite for Production, JSON for Development".
 *
 * The daily sales report fetches the report for one date, validates it and summarizes
 * it. Every task is idempotent: the same date gives the same report, the same summary.
 * The date is the run's `runKey`, the partition of state: an interrupted run of today
 * resumes where it stopped (completed tasks are restored, not run again), while
 * tomorrow's run starts fresh without clearing anything.
 *
 * The run key is not optional here: a run under the CLI's default key ("default") fails
 * at once, asking for a date, rather than reusing one day's stored report for every day.
 *
 *   npx flowweaver run examples/daily_report.ts --run-key 2026-11-24
 *   npx flowweaver run examples/daily_report.ts --run-key "$(date -u +%F)"
 *   npx tsx examples/daily_report.ts               # today's report
 *   npx tsx examples/daily_report.ts 2026-11-24    # another day's
 *   ENVIRONMENT=production npx tsx examples/daily_report.ts   # SQLite instead of JSON
 */
import {
  JSONStateStore,
  NonRetryableError,
  SequentialExecutor,
  SQLiteStateStore,
  type StateStore,
  task,
  Workflow,
} from "flowweaver";
import { getJson } from "./support/http.js";
import { dynamic, type LocalApi, type Route, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";
import { lazyStandIn } from "./support/stand-in.js";

export interface SalesReport {
  readonly date: string;
  readonly sales: readonly { readonly region: string; readonly amount: number }[];
}

export interface ReportSummary {
  readonly date: string;
  readonly total: number;
  readonly topRegion: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

// The date comes from the run key, not from the clock: re-running yesterday's
// partition fetches yesterday's report again, never today's.
export const fetch_daily_report = task(
  "fetch_daily_report",
  async (_inputs, ctx) => {
    if (!DATE.test(ctx.runKey)) {
      throw new NonRetryableError(
        `daily_sales_report runs with runKey set to a date (YYYY-MM-DD); got "${ctx.runKey}". Pass --run-key YYYY-MM-DD on the command line, or execute(workflow, { runKey: "YYYY-MM-DD" }).`,
      );
    }
    const apiUrl = await serviceUrl(ctx, "apiUrl", reportsApi);
    return getJson<SalesReport>(`${apiUrl}/reports/${ctx.runKey}`, { signal: ctx.signal });
  },
  { retries: 3, retryDelay: "500ms", backoff: "exponential", timeout: "1m" },
);

export const validate_report = task(
  "validate_report",
  ({ fetch_daily_report }: { fetch_daily_report: SalesReport }) => {
    const problems = fetch_daily_report.sales
      .filter((line) => !(line.amount >= 0))
      .map((line) => `${line.region}: amount ${line.amount}`);
    if (fetch_daily_report.sales.length === 0) problems.push("no sales lines");
    if (problems.length > 0) {
      throw new NonRetryableError(
        `report ${fetch_daily_report.date} is invalid: ${problems.join("; ")}`,
      );
    }
    return true;
  },
);

// Deterministic: the same report always gives the same summary. It needs only the
// report, but depends on validate_report too, so it never summarizes an invalid one.
export const summarize_report = task(
  "summarize_report",
  ({ fetch_daily_report }: { fetch_daily_report: SalesReport }) => {
    const [top] = [...fetch_daily_report.sales].sort((a, b) => b.amount - a.amount);
    return {
      date: fetch_daily_report.date,
      total: fetch_daily_report.sales.reduce((sum, line) => sum + line.amount, 0),
      topRegion: top?.region ?? "none",
    } satisfies ReportSummary;
  },
);

export const workflow = new Workflow({
  name: "daily_sales_report",
  description: "Fetch, validate and summarize one day's sales report",
  module: import.meta.url,
});
workflow.addTask(fetch_daily_report);
workflow.addTask(validate_report, { dependsOn: [fetch_daily_report] });
workflow.addTask(summarize_report, { dependsOn: [fetch_daily_report, validate_report] });

/**
 * SQLite in production (indexed, transactional, several processes); a JSON file in
 * development (readable in an editor). Both resume the same way.
 */
export function chooseStateStore(environment: string | undefined, dir = ".flowweaver"): StateStore {
  return environment === "production"
    ? new SQLiteStateStore(`${dir}/state.db`)
    : new JSONStateStore(`${dir}/state.json`);
}

const REGIONS = ["north", "south", "east", "west"];

/** The report the stand-in sales API serves for `date`: always the same for one date. */
export function reportFor(date: string): SalesReport {
  const seed = [...date].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 10_007, 7);
  return {
    date,
    sales: REGIONS.map((region, i) => ({ region, amount: 1_000 + ((seed * (i + 3)) % 5_000) })),
  };
}

/** The stand-in sales API's route: `GET /reports/YYYY-MM-DD`. */
function reportRoutes(): Record<string, Route> {
  return {
    "/reports/*": dynamic((url) => {
      const date = url.pathname.split("/").at(-1) ?? "";
      return DATE.test(date) ? reportFor(date) : undefined;
    }),
  };
}

/** Starts the stand-in sales API. */
export function startReportsApi(): Promise<LocalApi> {
  return startLocalApi(reportRoutes());
}

/** The sales API for runs without an `apiUrl` parameter, started by fetch_daily_report. */
export const reportsApi = lazyStandIn("the sales reports API", reportRoutes);

runIfMain(import.meta.url, async () => {
  const runKey = process.argv[2] ?? new Date().toISOString().slice(0, 10);
  await using api = await startReportsApi();
  const stateStore = chooseStateStore(process.env.ENVIRONMENT);
  try {
    const run = await new SequentialExecutor({ stateStore }).execute(workflow, {
      runKey,
      params: { apiUrl: api.url },
    });
    printRun(run);
    console.log(workflow.getTask("summarize_report").result);
  } finally {
    await stateStore.close();
  }
});
