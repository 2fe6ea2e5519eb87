/**
 * Workflow Design: "Explicit Dependency Declaration", and Common Pitfalls: "Forgetting
 * depends_on".
 *
 * transform_data needs both fetch_data and validate_data, and says so. A task never
 * starts before everything in its `dependsOn` completed, whatever the executor and
 * whatever order the tasks were added in; a name in `dependsOn` that is not a task of
 * the workflow is refused (UnknownDependencyError) before anything runs; and with task
 * objects in `dependsOn`, leaving out an input the function declares is a compile error.
 *
 *   npx flowweaver run examples/explicit_dependencies.ts --executor async --concurrency 8
 *   npx tsx examples/explicit_dependencies.ts
 */
import { AsyncExecutor, NonRetryableError, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { printRun } from "./support/report.js";
import { type OrderRow, querySource } from "./support/source-db.js";

export interface Validation {
  readonly checked: number;
}

export interface TopCustomer {
  readonly userId: number;
  readonly revenue: number;
  readonly orders: number;
}

export const fetch_data = task("fetch_data", () =>
  querySource<OrderRow>("SELECT id, user_id, amount FROM orders ORDER BY id"),
);

// Bad data is not transient: fail at once instead of burning retries.
export const validate_data = task(
  "validate_data",
  ({ fetch_data }: { fetch_data: OrderRow[] }): Validation => {
    const invalid = fetch_data.filter((order) => !(order.amount > 0)).map((order) => order.id);
    if (invalid.length > 0) {
      throw new NonRetryableError(`orders with a non-positive amount: ${invalid.join(", ")}`);
    }
    return { checked: fetch_data.length };
  },
);

export const transform_data = task(
  "transform_data",
  ({ fetch_data, validate_data }: { fetch_data: OrderRow[]; validate_data: Validation }) => {
    const byUser = new Map<number, TopCustomer>();
    for (const { user_id, amount } of fetch_data) {
      const seen = byUser.get(user_id) ?? { userId: user_id, revenue: 0, orders: 0 };
      byUser.set(user_id, { ...seen, revenue: seen.revenue + amount, orders: seen.orders + 1 });
    }
    const top = [...byUser.values()].sort((a, b) => b.revenue - a.revenue || a.userId - b.userId);
    return { ordersChecked: validate_data.checked, topCustomers: top.slice(0, 5) };
  },
);

export const workflow = new Workflow({
  name: "top_customers",
  description: "Rank customers by revenue from validated orders",
  module: import.meta.url,
});
workflow.addTask(fetch_data);
workflow.addTask(validate_data, { dependsOn: [fetch_data] }); // explicit!
// addTask returns the task's node, typed: ranking.result is this task's result type.
export const ranking = workflow.addTask(transform_data, { dependsOn: [fetch_data, validate_data] });

runIfMain(import.meta.url, async () => {
  // Even with room for every task at once, dependsOn keeps the order.
  const run = await new AsyncExecutor({ maxConcurrent: 8 }).execute(workflow);
  printRun(run);
  console.table(ranking.result?.topCustomers);
});
