/**
 * Error Handling & Resilience: "Explicit Error Handling".
 *
 * fetch_data sorts errors the way the seed does: a timeout or a 429 (rate limited) is
 * transient and retried; any other HTTP error, or a body that is not JSON, is a bug or a
 * data problem and fails at once. `retryOn` is where that decision lives, so the task
 * itself only logs and rethrows. Nothing is swallowed: the failure reaches the run
 * result, and the tasks that depend on fetch_data are SKIPPED instead of running on a
 * `null`: the seed's "catching everything" failure mode cannot happen quietly.
 *
 * Without an `apiUrl` parameter, fetch_data starts a local quotes API that rate-limits the
 * first request: the run shows one retry, then the summary.
 *
 *   npx flowweaver run examples/error_handling.ts
 *   npx tsx examples/error_handling.ts
 */
import { SequentialExecutor, task, Workflow } from "flowweaver";
import {
  ConnectionError,
  getJson,
  HttpError,
  RequestTimeoutError,
  ResponseFormatError,
} from "./support/http.js";
import { failFirst, json, type Route, rateLimited, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";
import { lazyStandIn } from "./support/stand-in.js";

export interface Quote {
  readonly symbol: string;
  readonly price: number;
}

/** Transient: worth another attempt. Everything else fails the task at once. */
export function isTransient(error: Error): boolean {
  if (error instanceof HttpError) return error.status === 429 || error.status === 503;
  return (
    error instanceof RequestTimeoutError ||
    error instanceof ConnectionError ||
    error.name === "TaskTimeoutError"
  );
}

export const fetch_data = task(
  "fetch_data",
  async (_inputs, ctx) => {
    try {
      return await getJson<Quote[]>(`${await serviceUrl(ctx, "apiUrl", quotesApi)}/quotes`, {
        signal: ctx.signal,
        timeoutMs: 5_000,
      });
    } catch (error) {
      if (error instanceof RequestTimeoutError) ctx.log.error("API timeout");
      else if (error instanceof HttpError && error.status === 429) {
        ctx.log.error("Rate limited, should retry", { retryAfter: error.retryAfter });
      } else if (error instanceof HttpError) ctx.log.error(`HTTP error ${error.status}`);
      else if (error instanceof ResponseFormatError) ctx.log.error("Invalid response format");
      throw error; // retryOn decides: retry, or fail for good
    }
  },
  { retries: 2, retryDelay: "100ms", backoff: "exponential", timeout: "30s", retryOn: isTransient },
);

export const price_summary = task("price_summary", ({ fetch_data }: { fetch_data: Quote[] }) => {
  const prices = fetch_data.map((quote) => quote.price);
  return { quotes: prices.length, highest: Math.max(...prices), lowest: Math.min(...prices) };
});

export const workflow = new Workflow({
  name: "quote_summary",
  description: "Fetch market quotes from a rate-limited API and summarize them",
  module: import.meta.url,
});
workflow.addTask(fetch_data);
workflow.addTask(price_summary, { dependsOn: [fetch_data] });

export const QUOTES: readonly Quote[] = [
  { symbol: "ACME", price: 101.5 },
  { symbol: "GLOBX", price: 57.25 },
  { symbol: "INITECH", price: 12.75 },
];

/** Rate limited once, then fine: one retry, then the summary. */
function quoteRoutes(): Record<string, Route> {
  return { "/quotes": failFirst(1, rateLimited(1), json(QUOTES)) };
}

/** The quotes API for runs without an `apiUrl` parameter, started by fetch_data. */
export const quotesApi = lazyStandIn("the quotes API", quoteRoutes);

runIfMain(import.meta.url, async () => {
  await using api = await startLocalApi(quoteRoutes());
  const run = await new SequentialExecutor().execute(workflow, { params: { apiUrl: api.url } });
  printRun(run);
  console.log(workflow.getTask("price_summary").result);
});
