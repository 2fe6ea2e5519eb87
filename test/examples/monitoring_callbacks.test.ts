import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { alerts, metrics, workflow } from "../../examples/monitoring_callbacks.js";
import { SequentialExecutor, task, Workflow } from "../../src/index.js";
import { failedRun, recordingLogger } from "./helpers.js";

/** A pino logger writing JSON lines into an array. */
function jsonLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n")) {
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, stream) };
}

describe("examples/monitoring_callbacks.ts (Structured Logging, Task Callbacks)", () => {
  it("logs structured JSON tagged with the run, task and attempt", async () => {
    const { lines, logger } = jsonLines();
    const run = await new SequentialExecutor({ logger }).execute(workflow, {
      params: { batch: 2 },
    });
    const start = lines.find((line) => line.msg === "batch_processing_start");
    expect(start).toMatchObject({
      level: 30,
      runId: run.runId,
      workflow: "batch_ingest",
      task: "process_batch",
      attempt: 1,
      batch_id: "orders-2",
      record_count: 100,
    });
    expect(lines.find((line) => line.msg === "batch_processing_complete")).toMatchObject({
      batch_id: "orders-2",
      result_count: 100,
    });
  });

  it("sends each completed task's duration to metrics", async () => {
    const before = metrics.timers().length;
    await new SequentialExecutor({ logger: recordingLogger() }).execute(workflow, {
      params: { batch: 1 },
    });
    const sent = metrics.timers().slice(before);
    expect(sent.map((sample) => sample.name)).toEqual([
      "task.fetch_batch.duration",
      "task.process_batch.duration",
      "task.reconcile_batch.duration",
    ]);
    for (const sample of sent) expect(sample.seconds).toBeGreaterThanOrEqual(0);
  });

  it("alerts when a task fails", async () => {
    const before = alerts.sent().length;
    const { run } = await failedRun(
      new SequentialExecutor({ logger: recordingLogger() }).execute(workflow, {
        params: { batch: 7 },
      }),
    );
    expect(run.tasks.reconcile_batch?.status).toBe("FAILED");
    expect(alerts.sent().slice(before)).toEqual([
      {
        title: "Task failure: reconcile_batch",
        detail: "NonRetryableError: batch 7 has 0 orders, expected 100",
      },
    ]);
  });

  it("a callback that throws is logged and changes nothing", async () => {
    const wf = new Workflow("broken_monitoring");
    wf.addTask(
      task("important_task", () => 42, {
        callbacks: {
          onComplete: () => {
            throw new Error("metrics backend down");
          },
        },
      }),
    );
    const logger = recordingLogger();
    const run = await new SequentialExecutor({ logger }).execute(wf);
    expect(run.tasks.important_task?.status).toBe("COMPLETED");
    expect(wf.getTask("important_task").result).toBe(42);
    expect(
      logger.lines.some((line) => line.level === "warn" && /onComplete/.test(line.message)),
    ).toBe(true);
  });
});
