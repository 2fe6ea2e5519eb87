import { afterEach, describe, expect, it } from "vitest";
import {
  apiRoutes,
  fetch_api_data,
  process_large_dataset,
  READINGS,
  readingsDb,
  unreliable_api_call,
  workflow,
} from "../../examples/retries_and_timeouts.js";
import {
  failFirst,
  hang,
  json,
  type LocalApi,
  startLocalApi,
} from "../../examples/support/local-api.js";
import {
  SequentialExecutor,
  silentLogger,
  TaskTimeoutError,
  task,
  Workflow,
} from "../../src/index.js";
import { failedRun } from "./helpers.js";

describe("examples/retries_and_timeouts.ts (retries, timeouts)", () => {
  let open: LocalApi | undefined;
  afterEach(async () => {
    await open?.close();
    open = undefined;
  });
  async function serve(routes: Parameters<typeof startLocalApi>[0]): Promise<LocalApi> {
    open = await startLocalApi(routes);
    return open;
  }

  describe("the example workflow", () => {
    it("rides out a dropped connection, a 503 and a locked table", async () => {
      const api = await serve(apiRoutes());
      readingsDb.lockNextWrites(1);
      const callsBefore = readingsDb.writeCalls;
      const run = await new SequentialExecutor().execute(workflow, {
        params: { apiUrl: api.url, primesBelow: 10_000 },
      });
      expect(run.status).toBe("COMPLETED");
      expect(run.tasks.fetch_from_unstable_api?.attempts).toBe(3);
      expect(api.hits("/unstable")).toBe(3);
      expect(run.tasks.database_write?.attempts).toBe(2);
      expect(readingsDb.writeCalls - callsBefore).toBe(2);
      // The write is an upsert: the retried write left one copy of each reading.
      expect(readingsDb.rows("readings")).toEqual(READINGS);
      expect(workflow.getTask("fetch_api_data").result).toEqual(READINGS);
      expect(workflow.getTask("process_large_dataset").result).toEqual({
        primesBelow: 10_000,
        count: 1229,
      });
      expect(workflow.getTask("nightly_batch_job").result).toMatchObject({ processed: 600 });
    });

    it("fetch_api_data passes its signal on: aborting it cancels the request", async () => {
      const slowApi = await startLocalApi({ "/slow": hang });
      try {
        const controller = new AbortController();
        const call = fetch_api_data(
          {},
          { signal: controller.signal, params: { apiUrl: slowApi.url } },
        );
        await slowApi.waitForHits("/slow", 1);
        const reason = new TaskTimeoutError("fetch_api_data", 30_000, 1);
        controller.abort(reason);
        await expect(call).rejects.toBe(reason);
      } finally {
        await slowApi.close();
      }
    });

    it("process_large_dataset stops at its signal instead of running on", async () => {
      const controller = new AbortController();
      controller.abort(new TaskTimeoutError("process_large_dataset", 300_000, 1));
      await expect(process_large_dataset({}, { signal: controller.signal })).rejects.toBeInstanceOf(
        TaskTimeoutError,
      );
    });
  });

  it("a hung task fails with TaskTimeoutError instead of hanging the run (the seed's bad case)", async () => {
    const api = await serve({ "/stuck": hang });
    const url = `${api.url}/stuck`;
    const wf = new Workflow("hung");
    // Ignores ctx.signal on purpose, like the seed's `while True`: the run still ends.
    wf.addTask(
      task("long_running_task", () => fetch(url).then((r) => r.json()), {
        timeout: "100ms",
        retries: 1,
      }),
    );
    wf.addTask(task("independent_report", () => "done"));
    const { run } = await failedRun(new SequentialExecutor({ logger: silentLogger }).execute(wf));
    const { tasks } = run;
    expect(tasks.long_running_task).toMatchObject({ status: "FAILED", attempts: 2 });
    expect(tasks.long_running_task?.error).toBeInstanceOf(TaskTimeoutError);
    expect(tasks.independent_report?.status).toBe("COMPLETED");
  });

  it("unreliable_api_call: a hung request times out on its own and the retry succeeds", async () => {
    const api = await serve({ "/unreliable": failFirst(1, hang, json(READINGS)) });
    const wf = new Workflow("pitfall_ignoring_timeouts");
    wf.addTask(unreliable_api_call);
    const run = await new SequentialExecutor().execute(wf, {
      params: { apiUrl: api.url, requestTimeoutMs: 100 },
    });
    expect(run.tasks.unreliable_api_call?.attempts).toBe(2);
    expect(wf.getTask("unreliable_api_call").result).toEqual(READINGS);
  });
});
