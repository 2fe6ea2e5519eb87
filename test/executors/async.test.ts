import { describe, expect, it } from "vitest";
import { AsyncExecutor, silentLogger, task, Workflow } from "../../src/index.js";
import { recordEvents, rejectionOf, resultOf } from "./contract-helpers.js";
import { abortLog, failFast, resetFixtures } from "./contract-workflows.js";
import { executorContract } from "./executor-contract.js";

executorContract(
  "AsyncExecutor",
  ({ stateStore, logger, concurrency }) =>
    new AsyncExecutor({ stateStore, logger, maxConcurrent: concurrency }),
);

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("AsyncExecutor", () => {
  it("never has more than maxConcurrent tasks in flight, and uses them all", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const wf = new Workflow("async_cap");
    const root = wf.addTask(task("root", () => 0));
    for (let i = 0; i < 20; i++) {
      const fn = async () => {
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        // Tasks of different lengths, so they finish out of order.
        for (let k = 0; k < (i % 4) + 1; k++) await turn();
        inFlight--;
        return i;
      };
      wf.addTask(task(`leaf${i}`, fn), { dependsOn: [root] });
    }
    const executor = new AsyncExecutor({ maxConcurrent: 3, logger: silentLogger });
    // The scheduler's own count: a slot is taken at task:start, freed at completion.
    let slots = 0;
    let maxSlots = 0;
    executor.on("task:start", () => {
      maxSlots = Math.max(maxSlots, ++slots);
    });
    executor.on("task:complete", () => {
      slots--;
    });
    const run = await executor.execute(wf);
    expect(run.status).toBe("COMPLETED");
    expect(maxInFlight).toBe(3);
    expect(maxSlots).toBe(3);
  });

  it("overlaps tasks that wait on I/O", async () => {
    // Each task waits until all three have started: only concurrent runs can finish.
    const started: (() => void)[] = [];
    const allStarted = new Promise<void>((resolve) => {
      started.push = (...items) => {
        const length = Array.prototype.push.apply(started, items);
        if (length === 3) resolve();
        return length;
      };
    });
    const wf = new Workflow("async_overlap");
    for (const name of ["a", "b", "c"]) {
      // The timeout only turns a missing overlap into a failure instead of a hang.
      wf.addTask(
        task(
          name,
          async () => {
            started.push(() => {});
            await allStarted;
            return name;
          },
          { timeout: "10s" },
        ),
      );
    }
    const run = await new AsyncExecutor({ maxConcurrent: 3, logger: silentLogger }).execute(wf);
    expect(Object.values(run.tasks).map((t) => t.status)).toEqual([
      "COMPLETED",
      "COMPLETED",
      "COMPLETED",
    ]);
  });

  it("defaults to 10 tasks in flight", () => {
    expect(new AsyncExecutor().maxConcurrent).toBe(10);
  });

  it("with failFast, cancels tasks running beside the failed one", async () => {
    resetFixtures();
    const executor = new AsyncExecutor({ maxConcurrent: 4, logger: silentLogger });
    const log = recordEvents(executor);
    const error = await rejectionOf(
      executor.execute(failFast, {
        failFast: true,
        params: { plan: { bad: { fail: "error" }, peer: { waitForAbortOn: [1] } } },
      }),
    );
    const run = resultOf(error);
    expect(run.tasks.peer).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(run.tasks.peer?.error).toMatchObject({ code: "CANCELLED", taskName: "peer" });
    expect(run.tasks.peer?.error?.message).toContain("failFast");
    expect(abortLog.map((a) => a.task)).toEqual(["peer"]);
    expect(log.filter((e) => e.event === "task:start").map((e) => e.task)).toEqual(["bad", "peer"]);
  });
});
