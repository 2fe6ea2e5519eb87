import { afterEach, describe, expect, it } from "vitest";
import { isTransient, QUOTES, workflow } from "../../examples/error_handling.js";
import {
  ConnectionError,
  HttpError,
  RequestTimeoutError,
  ResponseFormatError,
} from "../../examples/support/http.js";
import {
  dropConnection,
  failFirst,
  invalidJson,
  json,
  type LocalApi,
  type Route,
  rateLimited,
  startLocalApi,
  status,
} from "../../examples/support/local-api.js";
import { NonRetryableError, SequentialExecutor, TaskTimeoutError } from "../../src/index.js";
import { failedRun, recordingLogger } from "./helpers.js";

describe("examples/error_handling.ts (Explicit Error Handling)", () => {
  let api: LocalApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function runAgainst(route: Route) {
    const server = await startLocalApi({ "/quotes": route });
    api = server;
    const logger = recordingLogger();
    const execution = new SequentialExecutor({ logger }).execute(workflow, {
      params: { apiUrl: server.url },
    });
    return { execution, logger, server };
  }

  it("sorts errors into transient and not", () => {
    expect(isTransient(new HttpError(429, "u", 1))).toBe(true);
    expect(isTransient(new HttpError(503, "u", undefined))).toBe(true);
    expect(isTransient(new RequestTimeoutError("slow"))).toBe(true);
    expect(isTransient(new ConnectionError("reset"))).toBe(true);
    expect(isTransient(new TaskTimeoutError("fetch_data", 30_000, 1))).toBe(true);
    expect(isTransient(new HttpError(404, "u", undefined))).toBe(false);
    expect(isTransient(new HttpError(500, "u", undefined))).toBe(false);
    expect(isTransient(new ResponseFormatError("html"))).toBe(false);
    expect(isTransient(new NonRetryableError("no"))).toBe(false);
  });

  it("retries a rate limit (429) and a dropped connection, logging why", async () => {
    const { execution, logger } = await runAgainst(
      failFirst(1, rateLimited(2), failFirst(1, dropConnection, json(QUOTES))),
    );
    const run = await execution;
    expect(run.tasks.fetch_data?.attempts).toBe(3);
    expect(workflow.getTask("price_summary").result).toEqual({
      quotes: 3,
      highest: 101.5,
      lowest: 12.75,
    });
    const rateLimit = logger.lines.find((line) => line.message === "Rate limited, should retry");
    expect(rateLimit?.fields).toMatchObject({ task: "fetch_data", attempt: 1, retryAfter: 2 });
  });

  it("fails at once on a 500, and the summary never runs on a missing result", async () => {
    const { execution, logger, server } = await runAgainst(status(500));
    const { error, run } = await failedRun(execution);
    // Nothing swallowed: the failure, its cause and its task are in the run's result.
    expect(error.failedTasks).toEqual(["fetch_data"]);
    expect(run.tasks.fetch_data).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(run.tasks.fetch_data?.error).toBeInstanceOf(HttpError);
    expect(run.tasks.fetch_data?.error).toMatchObject({ status: 500 });
    expect(run.tasks.price_summary?.status).toBe("SKIPPED");
    expect(server.hits("/quotes")).toBe(1);
    expect(logger.lines.map((line) => line.message)).toContain("HTTP error 500");
  });

  it("fails at once when the body is not JSON", async () => {
    const { execution, logger } = await runAgainst(invalidJson);
    const { run } = await failedRun(execution);
    expect(run.tasks.fetch_data).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(run.tasks.fetch_data?.error).toBeInstanceOf(ResponseFormatError);
    expect(logger.lines.map((line) => line.message)).toContain("Invalid response format");
  });

  it("gives up on a rate limit that lasts, after its retries", async () => {
    const { execution } = await runAgainst(rateLimited(1));
    const { run } = await failedRun(execution);
    expect(run.tasks.fetch_data).toMatchObject({ status: "FAILED", attempts: 3 });
    expect(run.tasks.price_summary?.status).toBe("SKIPPED");
  });
});
