/**
 * The seed's Testing Strategies, as tests: a task unit-tested by calling it, the same
 * task in a workflow, a workflow end to end with a JSONStateStore in a temp directory,
 * and a resume that does not call a completed task again.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fetch_user, transform_user, workflow } from "../../examples/testing_strategies.js";
import {
  JSONStateStore,
  NonRetryableError,
  SequentialExecutor,
  Task,
  TaskStatus,
  task,
  Workflow,
} from "../../src/index.js";
import { tempDir } from "./helpers.js";

describe("examples/testing_strategies.ts (Testing Strategies)", () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    dir.remove();
  });

  it("unit: the task is still its function", async () => {
    const result = await transform_user({ fetch_user: { id: 1, name: "alice" } });
    expect(result.name).toBe("ALICE");
    expect(() => transform_user({ fetch_user: null })).toThrow(NonRetryableError);
  });

  it("unit: the same task in a workflow", async () => {
    const wf = new Workflow("test");
    wf.addTask(fetch_user);
    wf.addTask(transform_user, { dependsOn: [fetch_user] });
    await new SequentialExecutor().execute(wf, { params: { userId: 1 } });
    expect(wf.getTask("transform_user").status).toBe(TaskStatus.COMPLETED);
    expect(wf.getTask("transform_user").result).toEqual({ id: 1, name: "BOB 1" });
  });

  it("integration: the example workflow end to end, with state persisted", async () => {
    const stateFile = join(dir.path, "state.json");
    const stateStore = new JSONStateStore(stateFile);
    const fetch_test_data = task("fetch_test_data", () => [1, 2, 3]);
    const validate_test_data = task(
      "validate_test_data",
      ({ fetch_test_data }: { fetch_test_data: number[] }) => fetch_test_data.length === 3,
    );
    const wf = new Workflow("test");
    wf.addTask(fetch_test_data);
    wf.addTask(validate_test_data, { dependsOn: [fetch_test_data] });
    const executor = new SequentialExecutor({ stateStore });
    await executor.execute(wf);
    await executor.execute(workflow, { params: { userId: 3 } });

    expect(wf.tasks[0]?.status).toBe(TaskStatus.COMPLETED);
    expect(wf.tasks[1]?.status).toBe(TaskStatus.COMPLETED);
    expect(wf.getTask("validate_test_data").result).toBe(true);
    expect(workflow.getTask("transform_user").result).toEqual({ id: 3, name: "DANA 3" });
    await stateStore.close();
    expect(existsSync(stateFile)).toBe(true);
  });

  it("resumability: a completed task is not called again", async () => {
    const stateStore = new JSONStateStore(join(dir.path, "state.json"));
    let callCount = 0;
    const countedTask = () => {
      callCount++;
      return "result";
    };

    const workflow1 = new Workflow("resume_test");
    workflow1.addTask(new Task("task", countedTask));
    await new SequentialExecutor({ stateStore }).execute(workflow1);
    expect(callCount).toBe(1);

    // A new workflow object with the same name resumes the stored state.
    const workflow2 = new Workflow("resume_test");
    workflow2.addTask(new Task("task", countedTask));
    await new SequentialExecutor({ stateStore }).execute(workflow2);
    expect(callCount).toBe(1);
    expect(workflow2.getTask("task").restored).toBe(true);
    expect(workflow2.getTask("task").result).toBe("result");
    await stateStore.close();
  });
});
