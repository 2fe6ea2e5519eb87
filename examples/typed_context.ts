/**
 * Data Flow & Context: "Type Your Context".
 *
 * The types say what flows: fetch_users returns `UserData[]`, and process_users
 * declares that it takes `fetch_users: UserData[]`. With task objects in `dependsOn`
 * the compiler holds them to it: wiring process_users to a task that returns something
 * else is a compile error, not a surprise at run time.
 *
 *   npx flowweaver run examples/typed_context.ts
 *   npx tsx examples/typed_context.ts
 */
import { SequentialExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { printRun } from "./support/report.js";

export interface UserData {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}

export const fetch_users = task("fetch_users", (): UserData[] => [
  { id: 1, name: "Alice", email: "alice@example.com" },
]);

export const process_users = task(
  "process_users",
  ({ fetch_users }: { fetch_users: UserData[] }): number => fetch_users.length,
);

export const workflow = new Workflow({
  name: "typed_users",
  description: "Count users, with the data's type checked end to end",
  module: import.meta.url,
});
workflow.addTask(fetch_users);
// The result's type follows: `counted.result` is `number | undefined`.
export const counted = workflow.addTask(process_users, { dependsOn: [fetch_users] });

runIfMain(import.meta.url, async () => {
  printRun(await new SequentialExecutor().execute(workflow));
  const count: number | undefined = counted.result;
  console.log(`process_users counted ${count} user(s)`);
});
