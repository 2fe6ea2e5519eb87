import { describe, expect, it } from "vitest";
import { SequentialExecutor, silentLogger, task, Workflow } from "../../src/index.js";
import { recordEvents, rejectionOf, resultOf } from "./contract-helpers.js";
import { failFast, resetFixtures } from "./contract-workflows.js";
import { executorContract } from "./executor-contract.js";

executorContract(
  "SequentialExecutor",
  ({ stateStore, logger }) => new SequentialExecutor({ stateStore, logger }),
);

/** A workflow whose tasks record the order they ran in and how many ran at once. */
function recorded(edges: readonly (readonly [string, readonly string[]])[]) {
  const order: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const wf = new Workflow("sequential_order");
  for (const [name, dependsOn] of edges) {
    const fn = async () => {
      order.push(name);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      // Yield to the event loop so an overlapping task would get the chance to start.
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    };
    wf.addTask(task(name, fn), { dependsOn });
  }
  return { wf, order, maxInFlight: () => maxInFlight };
}

describe("SequentialExecutor", () => {
  it("runs in topological order, the task added first among the ready ones going first", async () => {
    const { wf, order } = recorded([
      ["c", []],
      ["a", []],
      ["b", ["c"]],
      ["d", ["a"]],
      ["e", ["b", "d"]],
      ["f", []],
      ["needs_g", ["g"]],
      ["g", []],
    ]);
    const executor = new SequentialExecutor({ logger: silentLogger });
    await executor.execute(wf);
    const expected = ["c", "a", "b", "d", "e", "f", "g", "needs_g"];
    expect(order).toEqual(expected);
    order.length = 0;
    await executor.execute(wf);
    expect(order).toEqual(expected);
  });

  it("runs one task at a time, even when all are ready", async () => {
    const edges = Array.from({ length: 8 }, (_, i) => [`t${i}`, []] as const);
    const { wf, maxInFlight } = recorded(edges);
    const executor = new SequentialExecutor({ logger: silentLogger });
    const log = recordEvents(executor);
    await executor.execute(wf);
    expect(maxInFlight()).toBe(1);
    // In the scheduler's own view too: every start is followed by that task's completion.
    const taskEvents = log.filter((e) => e.event === "task:start" || e.event === "task:complete");
    for (let k = 0; k < taskEvents.length; k += 2) {
      expect([taskEvents[k]?.event, taskEvents[k + 1]?.event]).toEqual([
        "task:start",
        "task:complete",
      ]);
      expect(taskEvents[k + 1]?.task).toBe(taskEvents[k]?.task);
    }
  });

  it("with failFast, starts nothing after the first failure", async () => {
    resetFixtures();
    const error = await rejectionOf(
      new SequentialExecutor({ logger: silentLogger }).execute(failFast, {
        failFast: true,
        params: { plan: { bad: { fail: "error" } } },
      }),
    );
    const statuses = Object.fromEntries(
      Object.entries(resultOf(error).tasks).map(([name, t]) => [name, t.status]),
    );
    expect(statuses).toEqual({
      bad: "FAILED",
      peer: "SKIPPED",
      after_peer: "SKIPPED",
      after_bad: "SKIPPED",
    });
  });
});
