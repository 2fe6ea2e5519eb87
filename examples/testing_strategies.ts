/**
 * Testing Strategies: "Unit Test Task Functions", "Integration Test Workflows" and
 * "Test Resumability".
 *
 * A task made with `task()` is still the plain function: call it with its inputs and
 * you have a unit test (`await transform_user({ fetch_user: { id: 1, name: "alice" } })`).
 * The same task runs in a workflow unchanged. The tests themselves are in
 * test/examples/testing_strategies.test.ts: unit, in-workflow, end to end with a
 * JSONStateStore in a temporary directory, and resume.
 *
 *   npx flowweaver run examples/testing_strategies.ts --param userId=7
 *   npx tsx examples/testing_strategies.ts
 */
import { NonRetryableError, SequentialExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { numberParam } from "./support/params.js";
import { printRun } from "./support/report.js";
import { querySource } from "./support/source-db.js";

export interface User {
  readonly id: number;
  readonly name: string;
}

export const fetch_user = task("fetch_user", (_inputs, ctx): User => {
  const id = numberParam(ctx, "userId", 1);
  const [user] = querySource<User>("SELECT id, name FROM users WHERE id = ?", id);
  if (!user) throw new NonRetryableError(`no user with id ${id}`);
  return user;
});

export const transform_user = task(
  "transform_user",
  ({ fetch_user }: { fetch_user: User | null | undefined }): User => {
    if (!fetch_user) throw new NonRetryableError("User required");
    return { id: fetch_user.id, name: fetch_user.name.toUpperCase() };
  },
);

export const workflow = new Workflow({
  name: "user_profile",
  description: "Fetch one user and normalize the name",
  module: import.meta.url,
});
workflow.addTask(fetch_user);
workflow.addTask(transform_user, { dependsOn: [fetch_user] });

runIfMain(import.meta.url, async () => {
  // Called directly, as a unit test would:
  console.log("direct call:", await transform_user({ fetch_user: { id: 1, name: "alice" } }));
  // And in a workflow:
  printRun(await new SequentialExecutor().execute(workflow, { params: { userId: 7 } }));
  console.log("in the workflow:", workflow.getTask("transform_user").result);
});
