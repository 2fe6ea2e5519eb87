import { describe, expect, expectTypeOf, it } from "vitest";
import { counted, fetch_users, process_users, workflow } from "../../examples/typed_context.js";
import { SequentialExecutor, task, Workflow } from "../../src/index.js";

describe("examples/typed_context.ts (Type Your Context)", () => {
  it("counts the users, with the result typed", async () => {
    await new SequentialExecutor().execute(workflow);
    expect(counted.result).toBe(1);
    expectTypeOf(counted.result).toEqualTypeOf<number | undefined>();
    expect(process_users({ fetch_users: [] })).toBe(0);
  });

  it("makes wiring process_users to the wrong data a compile error", () => {
    const wf = new Workflow("typing_only");
    const fetch_user_names = task("fetch_users", () => ["Alice", "Bob"]);
    wf.addTask(fetch_user_names);
    // @ts-expect-error process_users needs UserData[], and this fetch_users returns string[]
    wf.addTask(process_users, { dependsOn: [fetch_user_names] });
    const right = new Workflow("typing_only_ok");
    right.addTask(fetch_users);
    right.addTask(process_users, { dependsOn: [fetch_users] });
    expect(right.tasks).toHaveLength(2);
  });
});
