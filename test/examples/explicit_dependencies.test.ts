import { describe, expect, it } from "vitest";
import {
  fetch_data,
  ranking,
  transform_data,
  validate_data,
  workflow,
} from "../../examples/explicit_dependencies.js";
import { querySource } from "../../examples/support/source-db.js";
import {
  AsyncExecutor,
  type Executor,
  SequentialExecutor,
  task,
  UnknownDependencyError,
  Workflow,
} from "../../src/index.js";
import { rejection } from "./helpers.js";

/** Records "start:x" and "complete:x" in the order the executor reports them. */
function trace(executor: Executor): string[] {
  const events: string[] = [];
  executor.on("task:start", ({ task }) => events.push(`start:${task.name}`));
  executor.on("task:complete", ({ task }) => events.push(`complete:${task.name}`));
  return events;
}

describe("examples/explicit_dependencies.ts (Explicit Dependency Declaration)", () => {
  it("hands transform_data both of its dependencies' results", async () => {
    const run = await new SequentialExecutor().execute(workflow);
    expect(run.status).toBe("COMPLETED");
    const result = ranking.result;
    expect(result?.ordersChecked).toBe(600);
    const [top] = querySource<{ user_id: number; revenue: number }>(
      "SELECT user_id, SUM(amount) AS revenue FROM orders GROUP BY user_id ORDER BY revenue DESC, user_id LIMIT 1",
    );
    expect(result?.topCustomers[0]).toMatchObject({ userId: top?.user_id, revenue: top?.revenue });
  });

  it("keeps dependency order whatever the insertion order, even with 8 tasks allowed at once", async () => {
    const reversed = new Workflow("top_customers_reversed");
    reversed.addTask(transform_data, { dependsOn: [fetch_data, validate_data] });
    reversed.addTask(validate_data, { dependsOn: [fetch_data] });
    reversed.addTask(fetch_data);
    const executor = new AsyncExecutor({ maxConcurrent: 8 });
    const events = trace(executor);
    await executor.execute(reversed);
    expect(events).toEqual([
      "start:fetch_data",
      "complete:fetch_data",
      "start:validate_data",
      "complete:validate_data",
      "start:transform_data",
      "complete:transform_data",
    ]);
  });

  it("refuses a dependency that is not a task of the workflow, before running anything", async () => {
    // The seed's pitfall: process depends on fetch, but fetch was never added.
    let ran = 0;
    const wf = new Workflow("forgot_fetch");
    wf.addTask(
      task("process", () => ran++),
      { dependsOn: ["fetch"] },
    );
    expect(() => wf.validate()).toThrow(UnknownDependencyError);

    const executor = new SequentialExecutor();
    const events = trace(executor);
    const error = await rejection(executor.execute(wf));
    expect(error).toBeInstanceOf(UnknownDependencyError);
    expect(error).toMatchObject({ taskName: "process", dependency: "fetch" });
    expect(error.message).toContain('depends on "fetch"');
    expect(events).toEqual([]);
    expect(ran).toBe(0);
  });

  it("makes a dependsOn that misses an input a compile error", () => {
    const wf = new Workflow("typing_only");
    // @ts-expect-error transform_data also needs validate_data
    wf.addTask(transform_data, { dependsOn: [fetch_data] });
    expect(wf.hasTask("transform_data")).toBe(true);
  });
});
