import { describe, expect, it } from "vitest";
import {
  attemptRecord,
  byKey,
  type ContractContext,
  expectedState,
  resultFor,
  runRecord,
  stateWrite,
  tick,
} from "./harness.js";

/** The StateStore methods called directly: what goes in comes back, keyed as promised. */
export function interfaceCases(ctx: ContractContext): void {
  describe("interface", () => {
    it("describes itself", () => {
      expect(typeof ctx.store.location).toBe("string");
      expect(ctx.store.location.length).toBeGreaterThan(0);
      expect(ctx.store.persistent).toBe(ctx.fixture.persistent);
    });

    it("answers every query on an empty store", async () => {
      const { store } = ctx;
      expect((await store.loadTaskStates("wf", "default")).size).toBe(0);
      expect(await store.loadResult("wf", "default", "a")).toBeUndefined();
      expect(store.readResultSync?.("wf", "default", "a")).toBeUndefined();
      expect(await store.listRuns()).toEqual([]);
      expect(await store.listAttempts("no-such-run")).toEqual([]);
      expect(await store.listTaskStates("wf")).toEqual([]);
      expect(await store.listWorkflows()).toEqual([]);
      await store.clearAllStates();
      await store.clearAllStates("wf");
    });

    it("stores every field of a task state, for each status", async () => {
      const { store } = ctx;
      const writes = [
        stateWrite({ task: "done", version: "3", result: resultFor(store, { rows: 2 }) }),
        stateWrite({
          task: "failed",
          status: "FAILED",
          attempts: 3,
          error: {
            name: "TaskTimeoutError",
            message: 'Task "failed" timed out after 1s (attempt 3).',
            code: "TASK_TIMEOUT",
            stack: "TaskTimeoutError: …\n    at somewhere",
            taskName: "failed",
          },
        }),
        stateWrite({
          task: "plain-error",
          status: "FAILED",
          error: { name: "Error", message: "x" },
        }),
        stateWrite({
          task: "skipped",
          status: "SKIPPED",
          attempts: 0,
          startedAt: undefined,
          finishedAt: undefined,
          duration: undefined,
        }),
        stateWrite({
          task: "running",
          status: "RUNNING",
          finishedAt: undefined,
          duration: undefined,
        }),
        stateWrite({ task: "pending", status: "PENDING", attempts: 0, startedAt: undefined }),
      ];
      await store.commit({ runs: [], taskStates: writes, attempts: [] });
      const states = await store.loadTaskStates("wf", "default");
      expect(states.size).toBe(writes.length);
      for (const write of writes) {
        expect(states.get(write.task)).toStrictEqual(expectedState(write));
      }
    });

    it("keeps partitions apart: workflow and run key", async () => {
      const { store } = ctx;
      const writes = [
        stateWrite({ workflow: "wf", runKey: "2026-11-25", task: "a", runId: "r1" }),
        stateWrite({ workflow: "wf", runKey: "2026-11-26", task: "a", runId: "r2" }),
        stateWrite({ workflow: "other", runKey: "2026-11-25", task: "a", runId: "r3" }),
        stateWrite({ workflow: "wf", runKey: "2026-11-25", task: "b", runId: "r1" }),
      ];
      await store.commit({ runs: [], taskStates: writes, attempts: [] });
      const day1 = await store.loadTaskStates("wf", "2026-11-25");
      expect([...day1.keys()].sort()).toEqual(["a", "b"]);
      expect(day1.get("a")?.runId).toBe("r1");
      expect((await store.loadTaskStates("wf", "2026-11-26")).get("a")?.runId).toBe("r2");
      expect((await store.loadTaskStates("other", "2026-11-25")).get("a")?.runId).toBe("r3");
      expect((await store.loadTaskStates("wf", "2026-11-27")).size).toBe(0);

      const all = await store.listTaskStates("wf");
      expect(byKey(all, (s) => `${s.runKey}/${s.task}`).map((s) => s.runId)).toEqual([
        "r1",
        "r1",
        "r2",
      ]);
      const one = await store.listTaskStates("wf", "2026-11-26");
      expect(one.map((s) => [s.task, s.runId])).toEqual([["a", "r2"]]);
      expect(await store.listTaskStates("nobody")).toEqual([]);
    });

    it("keys names with quotes, slashes and non-ASCII characters exactly", async () => {
      const { store } = ctx;
      const names = [`it's "quoted"`, "数据/etl", "a b", "a"];
      await store.commit({
        runs: names.map((workflow, i) => runRecord({ workflow, runId: `r${i}` })),
        taskStates: names.map((workflow, i) =>
          stateWrite({ workflow, runKey: workflow, task: workflow, runId: `r${i}` }),
        ),
        attempts: [],
      });
      for (const [i, name] of names.entries()) {
        const states = await store.loadTaskStates(name, name);
        expect([...states.values()].map((s) => [s.task, s.runId])).toEqual([[name, `r${i}`]]);
      }
      expect(await store.listWorkflows()).toEqual([...names].sort());
    });

    it("lets later writes for the same key win, within a batch and across batches", async () => {
      const { store } = ctx;
      await store.commit({
        runs: [runRecord({ status: "RUNNING", finishedAt: undefined }), runRecord()],
        taskStates: [
          stateWrite({ status: "RUNNING", finishedAt: undefined, duration: undefined }),
          stateWrite({ status: "COMPLETED", result: resultFor(store, "first") }),
          stateWrite({ status: "COMPLETED", attempts: 2, result: resultFor(store, "second") }),
        ],
        attempts: [
          attemptRecord({ status: "RUNNING", finishedAt: undefined }),
          attemptRecord({ status: "FAILED", error: { name: "Error", message: "boom" } }),
        ],
      });
      expect((await store.loadTaskStates("wf", "default")).get("a")?.attempts).toBe(2);
      expect(await store.loadResult("wf", "default", "a")).toBe("second");
      const runs = await store.listRuns();
      expect(runs.map((r) => r.status)).toEqual(["COMPLETED"]);
      const attempts = await store.listAttempts("run-1");
      expect(attempts.map((a) => [a.status, a.error?.message])).toEqual([["FAILED", "boom"]]);

      // A later batch replaces the state, and a write without a result drops the old one.
      const rerun = stateWrite({ status: "RUNNING", runId: "run-2", finishedAt: undefined });
      await store.commit({ runs: [], taskStates: [rerun], attempts: [] });
      expect((await store.loadTaskStates("wf", "default")).get("a")).toStrictEqual(
        expectedState(rerun),
      );
      expect(await store.loadResult("wf", "default", "a")).toBeUndefined();
    });

    it("lists runs newest first, filtered and limited (50 by default)", async () => {
      const { store } = ctx;
      const runs = Array.from({ length: 60 }, (_, i) =>
        runRecord({ runId: `run-${i}`, workflow: i % 2 === 0 ? "even" : "odd" }),
      );
      // Written out of order: the listing sorts by start time, not by write order.
      await store.commit({ runs: [...runs].reverse(), taskStates: [], attempts: [] });
      const newest = await store.listRuns();
      expect(newest).toHaveLength(50);
      expect(newest[0]).toStrictEqual(runs[59]);
      expect(newest.map((r) => r.runId)).toEqual(
        runs
          .slice(10)
          .reverse()
          .map((r) => r.runId),
      );
      expect((await store.listRuns({ limit: 100 })).length).toBe(60);
      const odd = await store.listRuns({ workflow: "odd", limit: 3 });
      expect(odd.map((r) => r.runId)).toEqual(["run-59", "run-57", "run-55"]);
      expect(await store.listRuns({ runId: "run-7" })).toStrictEqual([runs[7]]);
      expect(await store.listRuns({ runId: "run-7", workflow: "even" })).toEqual([]);
      expect(await store.listRuns({ workflow: "none" })).toEqual([]);
    });

    it("breaks ties between runs started in the same millisecond by write order, latest first", async () => {
      const { store } = ctx;
      const startedAt = tick();
      await store.commit({
        runs: [runRecord({ runId: "first", startedAt }), runRecord({ runId: "second", startedAt })],
        taskStates: [],
        attempts: [],
      });
      await store.commit({
        runs: [runRecord({ runId: "third", startedAt })],
        taskStates: [],
        attempts: [],
      });
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(["third", "second", "first"]);
    });

    it("stores every field of runs and attempts", async () => {
      const { store } = ctx;
      const failedRun = runRecord({
        runId: "r-failed",
        runKey: "2026-11-25",
        status: "FAILED",
        error: { name: "WorkflowFailedError", message: "1 task failed", code: "WORKFLOW_FAILED" },
      });
      const running = runRecord({ runId: "r-running", status: "RUNNING", finishedAt: undefined });
      const attempts = [
        attemptRecord({
          runId: "r-failed",
          task: "a",
          attempt: 1,
          status: "FAILED",
          error: { name: "Error", message: "flaky", stack: "Error: flaky\n    at x" },
        }),
        attemptRecord({ runId: "r-failed", task: "a", attempt: 2, status: "COMPLETED" }),
        attemptRecord({
          runId: "r-failed",
          task: "b",
          attempt: 1,
          status: "RUNNING",
          finishedAt: undefined,
        }),
        attemptRecord({ runId: "r-running", task: "a", attempt: 1 }),
      ];
      await store.commit({ runs: [failedRun, running], taskStates: [], attempts });
      expect(await store.listRuns()).toStrictEqual([running, failedRun]);
      // Attempts of a run come in the order they started.
      expect(await store.listAttempts("r-failed")).toStrictEqual(attempts.slice(0, 3));
      expect(await store.listAttempts("r-running")).toStrictEqual(attempts.slice(3));
    });

    it("lists the workflows it knows, from states and from runs, sorted", async () => {
      const { store } = ctx;
      await store.commit({
        runs: [
          runRecord({ workflow: "zeta", runId: "z" }),
          runRecord({ workflow: "alpha", runId: "a" }),
        ],
        taskStates: [stateWrite({ workflow: "mid" }), stateWrite({ workflow: "alpha" })],
        attempts: [],
      });
      expect(await store.listWorkflows()).toEqual(["alpha", "mid", "zeta"]);
    });

    it("clears one workflow, or all of them, with their history", async () => {
      const { store } = ctx;
      const seed = async () =>
        store.commit({
          runs: [
            runRecord({ workflow: "keep", runId: "k" }),
            runRecord({ workflow: "drop", runId: "d" }),
          ],
          taskStates: [
            stateWrite({ workflow: "keep", runId: "k", result: resultFor(store, 1) }),
            stateWrite({ workflow: "drop", runId: "d", result: resultFor(store, 2) }),
            stateWrite({ workflow: "drop", runKey: "other", runId: "d" }),
          ],
          attempts: [
            attemptRecord({ workflow: "keep", runId: "k" }),
            attemptRecord({ workflow: "drop", runId: "d" }),
          ],
        });
      await seed();
      await store.clearAllStates("drop");
      expect(await store.listWorkflows()).toEqual(["keep"]);
      expect((await store.loadTaskStates("drop", "default")).size).toBe(0);
      expect(await store.listTaskStates("drop")).toEqual([]);
      expect(await store.loadResult("drop", "default", "a")).toBeUndefined();
      expect(await store.listAttempts("d")).toEqual([]);
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(["k"]);
      expect(await store.loadResult("keep", "default", "a")).toBe(1);
      expect(await store.listAttempts("k")).toHaveLength(1);

      await seed();
      await store.clearAllStates();
      expect(await store.listWorkflows()).toEqual([]);
      expect(await store.listRuns()).toEqual([]);
      expect(await store.listAttempts("k")).toEqual([]);
      expect((await store.loadTaskStates("keep", "default")).size).toBe(0);
      expect(await store.loadResult("keep", "default", "a")).toBeUndefined();
    });

    it("keeps everything when closed and reopened (persistent stores)", async (test) => {
      if (!ctx.fixture.persistent) test.skip();
      const { store } = ctx;
      const states = [
        stateWrite({ task: "a", result: resultFor(store, { n: 1 }) }),
        stateWrite({ task: "b", status: "FAILED", error: { name: "Error", message: "no" } }),
      ];
      const runs = [runRecord({ status: "FAILED" })];
      const attempts = [
        attemptRecord({ task: "a" }),
        attemptRecord({ task: "b", status: "FAILED" }),
      ];
      await store.commit({ runs, taskStates: states, attempts });
      const reopened = await ctx.reopen();
      const loaded = await reopened.loadTaskStates("wf", "default");
      expect(loaded.get("a")).toStrictEqual(expectedState(states[0] as (typeof states)[0]));
      expect(loaded.get("b")).toStrictEqual(expectedState(states[1] as (typeof states)[0]));
      expect(await reopened.loadResult("wf", "default", "a")).toStrictEqual({ n: 1 });
      expect(await reopened.listRuns()).toStrictEqual(runs);
      expect(await reopened.listAttempts("run-1")).toStrictEqual(attempts);
      expect(await reopened.listWorkflows()).toEqual(["wf"]);
    });

    it("can be closed twice", async () => {
      await ctx.store.close();
      await ctx.store.close();
    });
  });
}
