import { setTimeout as delay } from "node:timers/promises";
import {
  AsyncExecutor,
  type Executor,
  NonRetryableError,
  SequentialExecutor,
  type StateStore,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";

/** A task name, a workflow name and texts that would run script if drawn as HTML. */
export const XSS = {
  workflow: `<script>alert("workflow")</script>`,
  task: "<img src=x onerror=alert(1)>",
  error: `<b>bold</b><img src=x onerror=alert(2)>`,
  result: "</pre><img src=x onerror=alert(3)><script>alert(4)</script>",
  description: `<img src=x onerror=alert(5)> "quoted" & more`,
  resultTask: `<svg onload=alert(6)>`,
};

type RunName = "etlFailed" | "etlResumed" | "report1" | "report2" | "report3" | "report4" | "xss";

export interface Fixture {
  readonly workflows: readonly Workflow[];
  /** Run ids: the ETL's failed run and its resume, the reports by day, the HTML one. */
  readonly runs: Readonly<Record<RunName, string>>;
}

interface FillOptions {
  readonly executor: "sequential" | "async";
  /** Milliseconds each task works, so a timeline has something to show. */
  readonly workMs?: number;
}

/**
 * Fills `store` with real runs: an ETL that fails (a retried task, a failed one, a skipped
 * dependent) and then resumes to success, a nightly report with four run keys (one run
 * failed), and a workflow whose names, description, error and result are HTML.
 */
export async function fillStore(store: StateStore, options: FillOptions): Promise<Fixture> {
  const work = () => (options.workMs ? delay(options.workMs) : Promise.resolve());
  const executor = (): Executor =>
    options.executor === "async"
      ? new AsyncExecutor({ stateStore: store, maxConcurrent: 4, logger: silentLogger })
      : new SequentialExecutor({ stateStore: store, logger: silentLogger });
  const runs: Partial<Record<RunName, string>> = {};
  const runIdOf = async (wf: Workflow, opts: { runKey?: string } = {}): Promise<string> => {
    try {
      return (await executor().execute(wf, opts)).runId;
    } catch (error) {
      const result = (error as { result?: { runId?: string } }).result;
      if (!result?.runId) throw error;
      return result.runId;
    }
  };

  // The ETL: validate_records fails once then passes; refresh_dashboards fails the first
  // run, so notify_team is skipped; the second run resumes and completes.
  let validations = 0;
  let dashboardUp = false;
  const etl = new Workflow({
    name: "customer_data_etl",
    description: "CRM and billing exports into the warehouse",
  });
  etl.addTask(
    task(
      "extract_from_crm",
      async () => {
        await work();
        return [
          { id: 1, email: "ada@example.com", since: new Date("2024-03-01T00:00:00Z") },
          { id: 2, email: "grace@example.com", since: new Date("2025-07-14T00:00:00Z") },
        ];
      },
      { description: "Pull customers from the CRM API" },
    ),
  );
  etl.addTask(
    task("extract_from_billing", async () => {
      await work();
      return new Map([
        ["ada@example.com", 1250n],
        ["grace@example.com", 980n],
      ]);
    }),
  );
  etl.addTask(
    task(
      "validate_records",
      async () => {
        await work();
        validations++;
        if (validations === 1) throw new TypeError("3 records have no email address");
        return { valid: 2, rejected: 0 };
      },
      { retries: 2, retryDelay: "30ms" },
    ),
    { dependsOn: ["extract_from_crm", "extract_from_billing"] },
  );
  etl.addTask(
    task("transform_customers", async () => {
      await work();
      return { rows: 2 };
    }),
    {
      dependsOn: ["validate_records"],
    },
  );
  etl.addTask(
    task("load_warehouse", async () => {
      await work();
      return { inserted: 2, table: "dim_customer" };
    }),
    {
      dependsOn: ["transform_customers"],
    },
  );
  etl.addTask(
    task("send_report", async () => {
      await work();
      return "sent to 4 recipients";
    }),
    {
      dependsOn: ["load_warehouse"],
    },
  );
  etl.addTask(
    task("refresh_dashboards", async () => {
      await work();
      if (!dashboardUp) throw new NonRetryableError("Dashboard service unavailable (HTTP 503)");
      return { refreshed: 12 };
    }),
    { dependsOn: ["load_warehouse"] },
  );
  etl.addTask(
    task("notify_team", async () => {
      await work();
      return true;
    }),
    {
      dependsOn: ["refresh_dashboards"],
    },
  );
  runs.etlFailed = await runIdOf(etl);
  dashboardUp = true;
  runs.etlResumed = await runIdOf(etl);

  // A nightly report with one run key per day; the third day fails.
  const report = new Workflow({ name: "nightly_report" });
  report.addTask(
    task("collect_metrics", async () => {
      await work();
      return [3, 1, 4, 1, 5];
    }),
  );
  report.addTask(
    task("render_report", async ({ collect_metrics }: { collect_metrics: number[] }, ctx) => {
      await work();
      if (ctx.runKey === "2026-11-24") throw new Error("Template not found: daily.hbs");
      return `total ${collect_metrics.reduce((a, b) => a + b, 0)}`;
    }),
    { dependsOn: ["collect_metrics"] },
  );
  report.addTask(
    task("publish", async () => {
      await work();
      return "ok";
    }),
    { dependsOn: ["render_report"] },
  );
  for (const [i, day] of ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"].entries()) {
    runs[`report${i + 1}` as RunName] = await runIdOf(report, { runKey: day });
  }

  // Everything user-made is HTML that would run script if the page parsed it.
  const xss = new Workflow({ name: XSS.workflow, description: XSS.description });
  xss.addTask(task(XSS.resultTask, async () => XSS.result, { description: XSS.description }));
  xss.addTask(
    task(XSS.task, async () => {
      throw new Error(XSS.error);
    }),
    { dependsOn: [XSS.resultTask] },
  );
  runs.xss = await runIdOf(xss);

  return { workflows: [etl, report, xss], runs: runs as Record<RunName, string> };
}

/** A promise with its resolve function, for tasks that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
