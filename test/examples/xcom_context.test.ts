import { describe, expect, it } from "vitest";
import { querySource } from "../../examples/support/source-db.js";
import { spend, transform, workflow } from "../../examples/xcom_context.js";
import { NonRetryableError, SequentialExecutor } from "../../src/index.js";

describe("examples/xcom_context.ts (Leverage XCom Pattern)", () => {
  it("hands extract's result to validate and both to transform", async () => {
    await new SequentialExecutor().execute(workflow);
    const users = spend.result ?? [];
    expect(users).toHaveLength(250);
    const [total] = querySource<{ sum: number }>("SELECT SUM(amount) AS sum FROM orders");
    expect(users.reduce((sum, user) => sum + user.spent, 0)).toBe(total?.sum);
  });

  it("transform works on plain data, and refuses unvalidated data", () => {
    const extract = {
      users: [{ id: 1, name: "Alice", email: "a@example.com" }],
      orders: [
        { id: 1, user_id: 1, amount: 30 },
        { id: 2, user_id: 1, amount: 12 },
      ],
    };
    expect(transform({ extract, validate: true })).toEqual([{ id: 1, name: "Alice", spent: 42 }]);
    expect(() => transform({ extract, validate: false })).toThrow(NonRetryableError);
  });
});
