/**
 * Performance Optimization: "Batch Small Tasks", and Task Design: "Make Tasks Stateless".
 *
 * One task fetches a batch of users in one query, one task processes the whole batch:
 * two tasks, not one per user (a task costs scheduling, a store write, an event; a
 * record should not). process_batch gets everything it needs as inputs: the batch from
 * its dependency and the batch size from the run's `params`, never from a module-level
 * config object, so it is deterministic and testable by calling it.
 *
 *   npx flowweaver run examples/batch_processing.ts
 *   npx flowweaver run examples/batch_processing.ts --param batchSize=25 --fresh
 *   npx tsx examples/batch_processing.ts
 *   npx tsx examples/batch_processing.ts 25     # another batch size
 */
import { createHash } from "node:crypto";
import { NonRetryableError, SequentialExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { numberParam } from "./support/params.js";
import { printRun } from "./support/report.js";
import { querySource, type UserRow } from "./support/source-db.js";

export interface ProcessedUser {
  readonly id: number;
  readonly displayName: string;
  /** A stable pseudonymous key for analytics: never the e-mail itself. */
  readonly emailKey: string;
}

export const fetch_user_batch = task("fetch_user_batch", (_inputs, ctx) =>
  querySource<UserRow>(
    "SELECT id, name, email FROM users ORDER BY id LIMIT ?",
    numberParam(ctx, "batchSize", 100),
  ),
);

export const process_batch = task(
  "process_batch",
  ({ fetch_user_batch }: { fetch_user_batch: UserRow[] }): ProcessedUser[] => {
    // An empty batch means the query or its parameters are wrong: retrying won't help.
    if (fetch_user_batch.length === 0) throw new NonRetryableError("No data provided");
    return fetch_user_batch.map(processUser);
  },
);

/** The per-record work, a plain function: the batch task calls it for every user. */
export function processUser(user: UserRow): ProcessedUser {
  return {
    id: user.id,
    displayName: user.name.replace(/\s+\d+$/, "").toUpperCase(),
    emailKey: createHash("sha256").update(user.email.toLowerCase()).digest("hex").slice(0, 16),
  };
}

export const workflow = new Workflow({
  name: "user_batch",
  description: "Fetch a batch of users in one query and process it in one task",
  module: import.meta.url,
});
workflow.addTask(fetch_user_batch);
export const processed = workflow.addTask(process_batch, { dependsOn: [fetch_user_batch] });

runIfMain(import.meta.url, async () => {
  const batchSize = Number(process.argv[2] ?? 100);
  const run = await new SequentialExecutor().execute(workflow, { params: { batchSize } });
  printRun(run);
  const users = processed.result ?? [];
  console.log(`${users.length} users processed in one task; first:`, users[0]);
});
