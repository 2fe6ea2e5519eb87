/**
 * Monitoring & Observability: "Structured Logging" and "Task Callbacks for Monitoring".
 *
 * - Structured logs: tasks log through `ctx.log` with an event name and fields; the
 *   executor's `logger` is pino here, so each line is one JSON object that already
 *   carries the run id, workflow, task and attempt: ready for jq or a log pipeline.
 * - Callbacks: `onComplete` sends each task's duration to metrics, `onError` alerts the
 *   on-call. A callback that throws is logged and never changes the task's outcome.
 *
 * Under the CLI, `ctx.log` lines go to its output (`--json` for one JSON object each).
 *
 *   npx flowweaver run examples/monitoring_callbacks.ts
 *   npx flowweaver run examples/monitoring_callbacks.ts --param batch=7 --fresh   # fails: exit code 1
 *   npx tsx examples/monitoring_callbacks.ts      # batch 1: healthy
 *   npx tsx examples/monitoring_callbacks.ts 7    # past the last order: reconciliation fails, an alert goes out
 */

import {
  type AnyTask,
  NonRetryableError,
  SequentialExecutor,
  type TaskCallbacks,
  task,
  Workflow,
} from "flowweaver";
import { pino } from "pino";
import { runIfMain } from "./support/main.js";
import { AlertOutbox, MetricsRecorder } from "./support/monitoring.js";
import { numberParam } from "./support/params.js";
import { type OrderRow, querySource } from "./support/source-db.js";

export interface ProcessedOrder {
  readonly id: number;
  readonly amountCents: number;
}

/** Where the callbacks report, like the module-level clients of a real service. */
export const metrics = new MetricsRecorder();
export const alerts = new AlertOutbox();

/** Called after a task completes. */
export function on_task_complete(node: AnyTask): void {
  metrics.timer(`task.${node.name}.duration`, node.duration ?? 0);
}

/** Called when a task fails for good (after its retries). */
export function on_task_error(node: AnyTask, error: Error): void {
  alerts.send(`Task failure: ${node.name}`, error);
}

const monitored: TaskCallbacks = { onComplete: on_task_complete, onError: on_task_error };

/** Batch n holds the orders with ids (n-1)*100+1 … n*100. */
export const BATCH_SIZE = 100;

export const fetch_batch = task(
  "fetch_batch",
  (_inputs, ctx) => {
    const batch = numberParam(ctx, "batch", 1);
    return querySource<OrderRow>(
      "SELECT id, user_id, amount FROM orders WHERE id > ? AND id <= ? ORDER BY id",
      (batch - 1) * BATCH_SIZE,
      batch * BATCH_SIZE,
    );
  },
  { callbacks: monitored },
);

export const process_batch = task(
  "process_batch",
  ({ fetch_batch }: { fetch_batch: OrderRow[] }, ctx): ProcessedOrder[] => {
    const batch_id = `orders-${numberParam(ctx, "batch", 1)}`;
    ctx.log.info("batch_processing_start", { batch_id, record_count: fetch_batch.length });
    try {
      const result = fetch_batch.map((order) => ({
        id: order.id,
        amountCents: order.amount * 100,
      }));
      ctx.log.info("batch_processing_complete", { batch_id, result_count: result.length });
      return result;
    } catch (error) {
      ctx.log.error("batch_processing_error", { batch_id, error: String(error) });
      throw error;
    }
  },
  { callbacks: monitored },
);

// The important check: a batch must hold every order of its range.
export const reconcile_batch = task(
  "reconcile_batch",
  ({ process_batch }: { process_batch: ProcessedOrder[] }, ctx) => {
    if (process_batch.length !== BATCH_SIZE) {
      throw new NonRetryableError(
        `batch ${numberParam(ctx, "batch", 1)} has ${process_batch.length} orders, expected ${BATCH_SIZE}`,
      );
    }
    ctx.log.info("batch_reconciled", { orders: process_batch.length });
    return { orders: process_batch.length };
  },
  { callbacks: monitored },
);

export const workflow = new Workflow({
  name: "batch_ingest",
  description: "Process one batch of orders and reconcile it, with logs, metrics and alerts",
  module: import.meta.url,
});
workflow.addTask(fetch_batch);
workflow.addTask(process_batch, { dependsOn: [fetch_batch] });
workflow.addTask(reconcile_batch, { dependsOn: [process_batch] });

runIfMain(import.meta.url, async () => {
  const batch = Number(process.argv[2] ?? 1);
  // One JSON object per line on stdout; the executor's own warnings go there too.
  const executor = new SequentialExecutor({ logger: pino({ level: "info" }) });
  try {
    await executor.execute(workflow, { params: { batch } });
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
  console.log("metrics:", metrics.timers());
  console.log("alerts:", alerts.sent());
});
