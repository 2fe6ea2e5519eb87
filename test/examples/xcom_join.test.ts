import { describe, expect, it } from "vitest";
import { querySource } from "../../examples/support/source-db.js";
import {
  fetch_orders,
  fetch_users,
  join_data,
  joined,
  validate_data,
  workflow,
} from "../../examples/xcom_join.js";
import { NonRetryableError, SequentialExecutor, Workflow } from "../../src/index.js";

describe("examples/xcom_join.ts (Single Responsibility, XCom signatures)", () => {
  it("joins every order to its user, after validation", async () => {
    const executor = new SequentialExecutor();
    const started: string[] = [];
    executor.on("task:start", ({ task }) => started.push(task.name));
    await executor.execute(workflow);
    expect(started.indexOf("join_data")).toBeGreaterThan(started.indexOf("validate_data"));
    const rows = joined.result ?? [];
    expect(rows).toHaveLength(600);
    for (const { user, order } of rows) expect(user.id).toBe(order.user_id);
  });

  it("join_data is the seed's function, callable with its inputs by name", () => {
    const rows = join_data({
      fetch_users: [{ id: 1, name: "Alice", email: "alice@example.com" }],
      fetch_orders: [{ id: 10, user_id: 1, amount: 100 }],
    });
    expect(rows).toEqual([
      {
        user: { id: 1, name: "Alice", email: "alice@example.com" },
        order: { id: 10, user_id: 1, amount: 100 },
      },
    ]);
  });

  it("validate_data refuses an empty set and orders of unknown users", () => {
    const users = querySource<{ id: number; name: string; email: string }>(
      "SELECT id, name, email FROM users LIMIT 2",
    );
    expect(() => validate_data({ fetch_users: [], fetch_orders: [] })).toThrow(NonRetryableError);
    expect(() =>
      validate_data({ fetch_users: users, fetch_orders: [{ id: 1, user_id: 999, amount: 5 }] }),
    ).toThrow("1 orders reference unknown users");
  });

  it("makes a join without its orders a compile error", () => {
    const wf = new Workflow("typing_only");
    wf.addTask(fetch_users);
    wf.addTask(fetch_orders);
    // @ts-expect-error join_data needs fetch_orders too
    wf.addTask(join_data, { dependsOn: [fetch_users] });
    expect(wf.tasks).toHaveLength(3);
  });
});
