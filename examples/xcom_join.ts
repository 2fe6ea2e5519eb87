/**
 * Task Design: "Single Responsibility per Task" and "Proper Function Signatures for
 * XCom".
 *
 * fetch_users and fetch_orders each do one thing; validate_data checks both; join_data
 * receives both results by task name (the XCom pattern: `{ fetch_users, fetch_orders }`)
 * and joins them. Because the dependencies are task objects, TypeScript checks the join's
 * inputs: drop fetch_orders from its `dependsOn` and it no longer compiles.
 *
 *   npx flowweaver run examples/xcom_join.ts
 *   npx tsx examples/xcom_join.ts
 */
import { NonRetryableError, SequentialExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { printRun } from "./support/report.js";
import { type OrderRow, querySource, type UserRow } from "./support/source-db.js";

export interface UserOrder {
  readonly user: UserRow;
  readonly order: OrderRow;
}

/** Get user records. */
export const fetch_users = task("fetch_users", () =>
  querySource<UserRow>("SELECT id, name, email FROM users ORDER BY id"),
);

/** Get order records. */
export const fetch_orders = task("fetch_orders", () =>
  querySource<OrderRow>("SELECT id, user_id, amount FROM orders ORDER BY id"),
);

/** Validate both sets: present, and every order's user known. */
export const validate_data = task(
  "validate_data",
  ({ fetch_users, fetch_orders }: { fetch_users: UserRow[]; fetch_orders: OrderRow[] }) => {
    if (fetch_users.length === 0) throw new NonRetryableError("no users extracted");
    if (fetch_orders.length === 0) throw new NonRetryableError("no orders extracted");
    const known = new Set(fetch_users.map((user) => user.id));
    const orphans = fetch_orders.filter((order) => !known.has(order.user_id));
    if (orphans.length > 0) {
      throw new NonRetryableError(`${orphans.length} orders reference unknown users`);
    }
    return true;
  },
);

/** Receives upstream results by task name. */
export const join_data = task(
  "join_data",
  ({ fetch_users, fetch_orders }: { fetch_users: UserRow[]; fetch_orders: OrderRow[] }) => {
    const usersById = new Map(fetch_users.map((user) => [user.id, user]));
    return fetch_orders.flatMap((order): UserOrder[] => {
      const user = usersById.get(order.user_id);
      return user ? [{ user, order }] : [];
    });
  },
);

export const workflow = new Workflow({
  name: "user_orders",
  description: "Join orders to the users who placed them",
  module: import.meta.url,
});
workflow.addTask(fetch_users);
workflow.addTask(fetch_orders);
workflow.addTask(validate_data, { dependsOn: [fetch_users, fetch_orders] });
// validate_data is listed so the join only runs on validated data.
export const joined = workflow.addTask(join_data, {
  dependsOn: [fetch_users, fetch_orders, validate_data],
});

runIfMain(import.meta.url, async () => {
  const run = await new SequentialExecutor().execute(workflow);
  printRun(run);
  const rows = joined.result ?? [];
  console.log(`${rows.length} joined rows; first:`, rows[0]);
});
