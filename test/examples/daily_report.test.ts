import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  chooseStateStore,
  reportFor,
  startReportsApi,
  workflow,
} from "../../examples/daily_report.js";
import type { LocalApi } from "../../examples/support/local-api.js";
import {
  JSONStateStore,
  SequentialExecutor,
  SQLiteStateStore,
  type StateStore,
  task,
  Workflow,
  WorkflowCancelledError,
} from "../../src/index.js";
import { failedRun, outcome, rejection, tempDir } from "./helpers.js";

const ALL = ["fetch_daily_report", "validate_report", "summarize_report"];

describe("examples/daily_report.ts (Design for Resumability, runKey per day)", () => {
  let dir: ReturnType<typeof tempDir>;
  let api: LocalApi;
  let stateStore: StateStore;
  beforeEach(async () => {
    dir = tempDir();
    api = await startReportsApi();
    stateStore = chooseStateStore("development", dir.path);
  });
  afterEach(async () => {
    await stateStore.close();
    await api.close();
    dir.remove();
  });

  const execute = (runKey: string, signal?: AbortSignal) =>
    new SequentialExecutor({ stateStore }).execute(workflow, {
      runKey,
      params: { apiUrl: api.url },
      ...(signal ? { signal } : {}),
    });

  it("summarizes one day's report", async () => {
    await execute("2026-11-25");
    const report = reportFor("2026-11-25");
    expect(workflow.getTask("summarize_report").result).toEqual({
      date: "2026-11-25",
      total: report.sales.reduce((sum, line) => sum + line.amount, 0),
      topRegion: [...report.sales].sort((a, b) => b.amount - a.amount)[0]?.region,
    });
  });

  it("resumes an interrupted day without fetching the report again", async () => {
    const controller = new AbortController();
    const executor = new SequentialExecutor({ stateStore });
    // Interrupt the run as soon as the report is stored (like Ctrl-C at that moment).
    executor.on("task:complete", ({ task }) => {
      if (task.name === "fetch_daily_report") controller.abort(new Error("interrupted"));
    });
    const stopped = await rejection(
      executor.execute(workflow, {
        runKey: "2026-11-25",
        params: { apiUrl: api.url },
        signal: controller.signal,
      }),
    );
    expect(stopped).toBeInstanceOf(WorkflowCancelledError);

    const resumed = await execute("2026-11-25");
    expect(outcome(resumed)).toEqual({
      ran: ["validate_report", "summarize_report"],
      restored: ["fetch_daily_report"],
    });
    expect(api.hits("/reports/*")).toBe(1);
  });

  it("restores today's partition and starts tomorrow's fresh", async () => {
    await execute("2026-11-25");
    expect(outcome(await execute("2026-11-25")).restored).toEqual(ALL);
    expect(api.hits("/reports/*")).toBe(1);

    const tomorrow = await execute("2026-11-26");
    expect(outcome(tomorrow)).toEqual({ ran: ALL, restored: [] });
    expect(api.hits("/reports/*")).toBe(2);
    expect(workflow.getTask("summarize_report").result).toMatchObject({ date: "2026-11-26" });
  });

  it("never runs a stored completion again, so a non-idempotent task does no double harm", async () => {
    // The seed's increment_daily_counter: wrong to run twice. Resume does not run it twice.
    let counter = 0;
    let checks = 0;
    const wf = new Workflow("daily_counter");
    wf.addTask(task("increment_daily_counter", () => ++counter));
    wf.addTask(
      task(
        "fail_once_then_pass",
        ({ increment_daily_counter }: { increment_daily_counter: number }) => {
          if (checks++ === 0) throw new Error("the first run dies here");
          return increment_daily_counter;
        },
      ),
      { dependsOn: ["increment_daily_counter"] },
    );
    const executor = new SequentialExecutor({ stateStore });
    await failedRun(executor.execute(wf, { runKey: "2026-11-25" }));
    await executor.execute(wf, { runKey: "2026-11-25" });
    await executor.execute(wf, { runKey: "2026-11-25" });
    expect(counter).toBe(1);
    expect(wf.getTask("fail_once_then_pass").result).toBe(1);
  });

  it("needs a date as its run key", async () => {
    const { run } = await failedRun(execute("default"));
    expect(run.tasks.fetch_daily_report).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(run.tasks.fetch_daily_report?.error?.message).toContain("runKey set to a date");
  });

  it("chooses SQLite in production and JSON in development", async () => {
    const production = chooseStateStore("production", dir.path);
    expect(production).toBeInstanceOf(SQLiteStateStore);
    expect(production.location).toContain(join(dir.path, "state.db"));
    await production.close();
    expect(stateStore).toBeInstanceOf(JSONStateStore);
    expect(stateStore.location).toContain(join(dir.path, "state.json"));
  });
});
