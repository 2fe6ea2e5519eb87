/**
 * Data Flow & Context: "Leverage XCom Pattern".
 *
 * extract returns one object holding users and orders; validate receives it by name;
 * transform receives both extract's and validate's results. Tasks get their data only
 * through their inputs, never by reaching into the workflow (the seed's "bad" example),
 * so each can be called on its own with plain data.
 *
 *   npx flowweaver run examples/xcom_context.ts
 *   npx tsx examples/xcom_context.ts
 */
import { NonRetryableError, SequentialExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { printRun } from "./support/report.js";
import { type OrderRow, querySource, type UserRow } from "./support/source-db.js";

export interface Extract {
  readonly users: UserRow[];
  readonly orders: OrderRow[];
}

export const extract = task(
  "extract",
  (): Extract => ({
    users: querySource<UserRow>("SELECT id, name, email FROM users ORDER BY id"),
    orders: querySource<OrderRow>("SELECT id, user_id, amount FROM orders ORDER BY id"),
  }),
);

// Receives extract's result automatically, by name.
export const validate = task("validate", ({ extract }: { extract: Extract }) => {
  if (extract.users.length === 0) throw new NonRetryableError("extract returned no users");
  if (extract.orders.length === 0) throw new NonRetryableError("extract returned no orders");
  return true;
});

// Can access several dependencies.
export const transform = task(
  "transform",
  ({ extract, validate }: { extract: Extract; validate: boolean }) => {
    if (!validate) throw new NonRetryableError("refusing to transform unvalidated data");
    const spend = new Map<number, number>();
    for (const order of extract.orders) {
      spend.set(order.user_id, (spend.get(order.user_id) ?? 0) + order.amount);
    }
    return extract.users.map((user) => ({
      id: user.id,
      name: user.name,
      spent: spend.get(user.id) ?? 0,
    }));
  },
);

export const workflow = new Workflow({
  name: "customer_spend",
  description: "Total spend per user from one extract",
  module: import.meta.url,
});
workflow.addTask(extract);
workflow.addTask(validate, { dependsOn: [extract] });
export const spend = workflow.addTask(transform, { dependsOn: [extract, validate] });

runIfMain(import.meta.url, async () => {
  printRun(await new SequentialExecutor().execute(workflow));
  console.log("first users:", spend.result?.slice(0, 3));
});
