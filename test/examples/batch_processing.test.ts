import { describe, expect, it } from "vitest";
import {
  process_batch,
  processed,
  processUser,
  workflow,
} from "../../examples/batch_processing.js";
import { NonRetryableError, SequentialExecutor } from "../../src/index.js";
import { failedRun } from "./helpers.js";

describe("examples/batch_processing.ts (Batch Small Tasks, Make Tasks Stateless)", () => {
  it("processes 100 users in one task", async () => {
    const run = await new SequentialExecutor().execute(workflow);
    expect(Object.keys(run.tasks)).toEqual(["fetch_user_batch", "process_batch"]);
    const users = processed.result ?? [];
    expect(users).toHaveLength(100);
    expect(users[0]).toEqual(processUser({ id: 1, name: "Bob 1", email: "user1@example.com" }));
  });

  it("takes its batch size from the run's params, not from module state", async () => {
    await new SequentialExecutor().execute(workflow, { params: { batchSize: 10 } });
    expect(processed.result).toHaveLength(10);
    await new SequentialExecutor().execute(workflow, { params: { batchSize: 3 } });
    expect(processed.result).toHaveLength(3);
  });

  it("refuses an empty batch at once, without retries", async () => {
    const { run } = await failedRun(
      new SequentialExecutor().execute(workflow, { params: { batchSize: 0 } }),
    );
    expect(run.tasks.process_batch).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(run.tasks.process_batch?.error?.message).toBe("No data provided");
  });

  it("is a plain function too", async () => {
    expect(() => process_batch({ fetch_user_batch: [] })).toThrow(NonRetryableError);
    const [user] = await process_batch({
      fetch_user_batch: [{ id: 9, name: "Gwen 9", email: "Gwen@Example.com" }],
    });
    expect(user).toMatchObject({ id: 9, displayName: "GWEN" });
    expect(user?.emailKey).toBe(
      processUser({ id: 9, name: "x", email: "gwen@example.com" }).emailKey,
    );
  });
});
