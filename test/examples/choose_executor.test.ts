import { afterEach, describe, expect, it } from "vitest";
import { cpuWorkflow, REGIONS, salesRoute, workflow } from "../../examples/choose_executor.js";
import { type LocalApi, startLocalApi, whenAll } from "../../examples/support/local-api.js";
import { AsyncExecutor, SequentialExecutor } from "../../src/index.js";

describe("examples/choose_executor.ts (Choose Right Executor)", () => {
  let api: LocalApi | undefined;
  afterEach(async () => {
    await api?.close();
  });

  it("AsyncExecutor has every I/O-bound fetch in flight at once", async () => {
    // The API answers only once all six requests are waiting: a run that sent them one
    // at a time would never finish. No clock involved.
    const server = await startLocalApi({ "/sales/*": whenAll(REGIONS.length, salesRoute()) });
    api = server;
    const run = await new AsyncExecutor({ maxConcurrent: 50 }).execute(workflow, {
      params: { apiUrl: server.url },
    });
    expect(run.status).toBe("COMPLETED");
    expect(server.hits("/sales/*")).toBe(6);
    expect(workflow.getTask("combine_regions").result).toEqual({ total: 78_750, best: "islands" });
  });

  it("SequentialExecutor runs the CPU-bound statistics", async () => {
    await new SequentialExecutor().execute(cpuWorkflow);
    expect(cpuWorkflow.getTask("compute_order_statistics").result).toMatchObject({
      count: 600,
      p50: 105,
      p95: 190,
    });
  });
});
