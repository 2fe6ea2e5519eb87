/**
 * Error Handling & Resilience: "Use Retries for Transient Failures" and "Timeouts
 * Prevent Hung Tasks", and Common Pitfalls: "Ignoring Timeouts".
 *
 * - fetch_from_unstable_api: a flaky endpoint (dropped connections, 503s) gets retries
 *   with exponential backoff and jitter.
 * - database_write: a transient lock on the orders table is retried; the write is an
 *   upsert, so a retry never duplicates rows.
 * - fetch_api_data, process_large_dataset, nightly_batch_job: each bounded by a timeout
 *   sized to its job (30 s, 5 min, 1 h). At the timeout FlowWeaver aborts `ctx.signal`
 *   and fails the attempt with TaskTimeoutError, without waiting for the task.
 * - unreliable_api_call: a timeout per request *and* per task, with retries: no single
 *   slow request can use up the whole budget.
 *
 * Without an `apiUrl` parameter the first task to call the API starts the local one,
 * which drops the first connection to /unstable and answers the next with a 503.
 *
 *   npx flowweaver run examples/retries_and_timeouts.ts
 *   npx tsx examples/retries_and_timeouts.ts   # also locks the table for the first write
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { SequentialExecutor, task, Workflow } from "flowweaver";
import { LockingDatabase } from "./support/flaky-db.js";
import { getJson } from "./support/http.js";
import {
  delayed,
  dropConnection,
  failFirst,
  json,
  type Route,
  startLocalApi,
  status,
} from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { numberParam, serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";
import { type OrderRow, querySource } from "./support/source-db.js";
import { lazyStandIn } from "./support/stand-in.js";

export interface Reading {
  readonly id: number;
  readonly value: number;
}

/** The database database_write writes to (a stand-in, like a module-level db client). */
export const readingsDb = new LockingDatabase();

export const fetch_from_unstable_api = task(
  "fetch_from_unstable_api",
  async (_inputs, ctx) =>
    getJson<Reading[]>(`${await serviceUrl(ctx, "apiUrl", readingsApi)}/unstable`, {
      signal: ctx.signal,
    }),
  { retries: 3, retryDelay: "100ms", backoff: "exponential", maxRetryDelay: "2s", jitter: 0.5 },
);

export const database_write = task(
  "database_write",
  ({ fetch_from_unstable_api }: { fetch_from_unstable_api: Reading[] }) =>
    readingsDb.write("readings", fetch_from_unstable_api),
  { retries: 2, retryDelay: "100ms" },
);

export const fetch_api_data = task(
  "fetch_api_data",
  // Passing ctx.signal is what lets the timeout cancel the request for real.
  async (_inputs, ctx) =>
    getJson<Reading[]>(`${await serviceUrl(ctx, "apiUrl", readingsApi)}/slow`, {
      signal: ctx.signal,
    }),
  { timeout: 30 },
);

/**
 * CPU-heavy work on the event loop cannot be interrupted from outside, so it works in
 * chunks and checks its signal between them: a timeout then really stops it. (Work that
 * cannot be chunked belongs on the ThreadedExecutor, which terminates its thread.)
 */
export const process_large_dataset = task(
  "process_large_dataset",
  async (_inputs, ctx) => {
    const limit = numberParam(ctx, "primesBelow", 200_000);
    let count = 0;
    for (let start = 2; start < limit; start += 10_000) {
      ctx.signal.throwIfAborted();
      for (let n = start; n < Math.min(start + 10_000, limit); n++) if (isPrime(n)) count++;
      await yieldToEventLoop();
    }
    return { primesBelow: limit, count };
  },
  { timeout: "5m" },
);

export const nightly_batch_job = task(
  "nightly_batch_job",
  async (_inputs, ctx) => {
    let processed = 0;
    let revenue = 0;
    for (let offset = 0; ; offset += 100) {
      ctx.signal.throwIfAborted();
      const batch = querySource<OrderRow>(
        "SELECT id, user_id, amount FROM orders ORDER BY id LIMIT 100 OFFSET ?",
        offset,
      );
      if (batch.length === 0) break;
      processed += batch.length;
      revenue += batch.reduce((sum, order) => sum + order.amount, 0);
      await yieldToEventLoop();
    }
    return { processed, revenue };
  },
  { timeout: "1h" },
);

export const unreliable_api_call = task(
  "unreliable_api_call",
  async (_inputs, ctx) =>
    getJson<Reading[]>(`${await serviceUrl(ctx, "apiUrl", readingsApi)}/unreliable`, {
      signal: ctx.signal,
      timeoutMs: numberParam(ctx, "requestTimeoutMs", 10_000),
    }),
  { timeout: 30, retries: 3, retryDelay: "100ms", backoff: "exponential" },
);

export const workflow = new Workflow({
  name: "resilient_ingest",
  description: "Fetch readings from flaky and slow APIs, store them, run the batch jobs",
  module: import.meta.url,
});
workflow.addTask(fetch_from_unstable_api);
workflow.addTask(database_write, { dependsOn: [fetch_from_unstable_api] });
workflow.addTask(fetch_api_data);
workflow.addTask(process_large_dataset);
workflow.addTask(nightly_batch_job);
workflow.addTask(unreliable_api_call);

export const READINGS: readonly Reading[] = [
  { id: 1, value: 20.5 },
  { id: 2, value: 21.25 },
  { id: 3, value: 19.75 },
];

/** The endpoints the workflow calls, behaving the way the seed fears: flaky, slow, hung. */
export function apiRoutes(overrides: Readonly<Record<string, Route>> = {}): Record<string, Route> {
  return {
    "/unstable": failFirst(1, dropConnection, failFirst(1, status(503), json(READINGS))),
    "/slow": delayed(150, json(READINGS)),
    "/unreliable": json(READINGS),
    ...overrides,
  };
}

/** The API for runs without an `apiUrl` parameter, started by the first task that calls it. */
export const readingsApi = lazyStandIn("the readings API", () => apiRoutes());

function isPrime(n: number): boolean {
  if (n < 4) return n > 1;
  if (n % 2 === 0) return false;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

runIfMain(import.meta.url, async () => {
  await using api = await startLocalApi(apiRoutes());
  readingsDb.lockNextWrites(1); // another transaction holds the table for the first write
  const executor = new SequentialExecutor();
  executor.on("task:retry", ({ task, attempt, error }) =>
    console.log(`  retrying ${task.name} (attempt ${attempt}) after: ${error.message}`),
  );
  const run = await executor.execute(workflow, { params: { apiUrl: api.url } });
  printRun(run);
  console.log(`rows in the readings table: ${readingsDb.rows("readings").length}`);
});
