import { describe, expect, it } from "vitest";
import { AttemptLog } from "../../src/stores/memory/attempt-log.js";
import { StateTable } from "../../src/stores/memory/state-table.js";
import type { TaskStateWrite } from "../../src/stores/store.js";

function write(task: string, run: number, status: TaskStateWrite["status"]): TaskStateWrite {
  return {
    workflow: "wf",
    runKey: "default",
    task,
    status,
    runId: `run-${run}`,
    attempts: run,
    startedAt: 1_000 + run,
    finishedAt: status === "RUNNING" ? undefined : 2_000 + run,
    duration: status === "RUNNING" ? undefined : 1,
    version: undefined,
    error: undefined,
    result: status === "COMPLETED" ? { kind: "live", value: { task, run } } : undefined,
  };
}

describe("the memory store's state table", () => {
  it("answers each task's latest write, in first-write order, across compactions", () => {
    const table = new StateTable("wf", "default");
    const tasks = Array.from({ length: 10 }, (_, i) => `t${i}`);
    // Many runs over the same tasks: superseded rows pile up and are compacted on reads.
    for (let run = 1; run <= 400; run++) {
      for (const name of tasks) {
        table.write(write(name, run, "RUNNING"));
        table.write(write(name, run, run % 2 === 0 ? "COMPLETED" : "FAILED"));
      }
      if (run % 50 === 0) expect(table.size).toBe(10);
    }
    const states = table.states();
    expect(states.map((state) => state.task)).toEqual(tasks);
    for (const state of states) {
      expect(state).toMatchObject({
        status: "COMPLETED",
        runId: "run-400",
        attempts: 400,
        startedAt: 1_400,
        finishedAt: 2_400,
        hasResult: true,
      });
    }
    expect(table.result("t3")).toEqual({ kind: "live", value: { task: "t3", run: 400 } });
    table.write(write("t3", 401, "RUNNING"));
    expect(table.state("t3")).toMatchObject({ status: "RUNNING", finishedAt: undefined });
    expect(table.result("t3")).toEqual({ kind: "none" });
    expect(table.state("absent")).toBeUndefined();
  });
});

describe("the memory store's attempt log", () => {
  it("lists the latest record of each attempt, by start time", () => {
    const log = new AttemptLog("run-1");
    const base = { runId: "run-1", workflow: "wf", error: undefined };
    log.append({
      ...base,
      task: "b",
      attempt: 1,
      status: "RUNNING",
      startedAt: 20,
      finishedAt: undefined,
    });
    log.append({
      ...base,
      task: "a",
      attempt: 1,
      status: "RUNNING",
      startedAt: 10,
      finishedAt: undefined,
    });
    log.append({
      ...base,
      task: "a",
      attempt: 1,
      status: "FAILED",
      startedAt: 10,
      finishedAt: 15,
      error: { name: "Error", message: "x" },
    });
    log.append({
      ...base,
      task: "a",
      attempt: 2,
      status: "COMPLETED",
      startedAt: 16,
      finishedAt: 18,
    });
    expect(log.records()).toEqual([
      {
        ...base,
        task: "a",
        attempt: 1,
        status: "FAILED",
        startedAt: 10,
        finishedAt: 15,
        error: { name: "Error", message: "x" },
      },
      { ...base, task: "a", attempt: 2, status: "COMPLETED", startedAt: 16, finishedAt: 18 },
      { ...base, task: "b", attempt: 1, status: "RUNNING", startedAt: 20, finishedAt: undefined },
    ]);
  });
});
