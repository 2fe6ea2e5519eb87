import { describe, expect, it } from "vitest";
import { AsyncExecutor, MemoryStateStore, silentLogger, task, Workflow } from "../../src/index.js";

/**
 * A run of many synchronous tasks on a store that commits synchronously commits group
 * after group without waiting for the event loop, but must still give it turns: timers,
 * I/O and abort signals from outside keep working while it runs.
 */
describe("a long run of synchronous tasks", () => {
  it("still lets a timer cancel it midway", async () => {
    const size = 50_000;
    const wf = new Workflow("many_sync_tasks");
    for (let i = 0; i < size; i++) {
      wf.addTask(
        task(`t${i}`, () => i),
        { dependsOn: i === 0 ? [] : [`t${i - 1}`] },
      );
    }
    const controller = new AbortController();
    const stateStore = new MemoryStateStore();
    setTimeout(() => controller.abort(new Error("timer fired")), 1);
    const executor = new AsyncExecutor({ maxConcurrent: 8, stateStore, logger: silentLogger });
    const error = await executor.execute(wf, { signal: controller.signal }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toMatchObject({ name: "WorkflowCancelledError" });
    const states = await stateStore.listTaskStates("many_sync_tasks");
    const completed = states.filter((state) => state.status === "COMPLETED").length;
    expect(completed).toBeGreaterThan(0);
    expect(completed).toBeLessThan(size);
  });
});
