import { describe, expect, it } from "vitest";
import { TaskStatus } from "../../../src/index.js";
import {
  buildWorkflow,
  byKey,
  Calls,
  type ContractContext,
  EXECUTORS,
  failingRun,
  stateWrite,
  type TaskSpec,
} from "./harness.js";

/** DESIGN.md's store semantics, through the executors: resume, versions, run keys, history. */
export function resumeCases(ctx: ContractContext): void {
  describe.each(EXECUTORS)("resume with %s", (_, makeExecutor) => {
    it("does not run stored completions again and hands their results to dependents", async () => {
      const calls = new Calls();
      let cFails = true;
      const specs: Record<string, TaskSpec> = {
        a: {},
        b: { deps: ["a"] },
        c: {
          deps: ["b"],
          run: (inputs) => {
            if (cFails) throw new Error("c is down");
            return { task: "c", inputs: { ...inputs } };
          },
        },
      };
      const first = buildWorkflow("etl", specs, calls);
      await failingRun(makeExecutor(ctx.store).execute(first));
      const stored = first.getTask("b");

      cFails = false;
      // A new Workflow object with the same name: state is keyed by name, not by object.
      const second = buildWorkflow("etl", specs, calls);
      const run = await makeExecutor(ctx.store).execute(second);
      expect(calls.of("a", "b", "c")).toEqual({ a: 1, b: 1, c: 2 });
      expect(run.status).toBe("COMPLETED");
      expect(run.tasks.b?.restored).toBe(true);
      expect(run.tasks.c?.restored).toBe(false);

      const b = second.getTask("b");
      expect(b.status).toBe(TaskStatus.COMPLETED);
      expect(b.restored).toBe(true);
      expect(b.attempts).toBe(stored.attempts);
      expect(b.duration).toBe(stored.duration);
      expect(b.startedAt).toEqual(stored.startedAt);
      expect(b.finishedAt).toEqual(stored.finishedAt);
      const bResult = { task: "b", inputs: { a: { task: "a", inputs: {} } } };
      expect(b.result).toStrictEqual(bResult);
      expect(second.getTask("c").result).toStrictEqual({ task: "c", inputs: { b: bResult } });

      const third = buildWorkflow("etl", specs, calls);
      const again = await makeExecutor(ctx.store).execute(third);
      expect(calls.of("a", "b", "c")).toEqual({ a: 1, b: 1, c: 2 });
      expect(Object.values(again.tasks).every((t) => t.restored)).toBe(true);
      expect(third.getTask("c").result).toStrictEqual({ task: "c", inputs: { b: bResult } });
    });

    it("runs failed, skipped and never-run tasks again", async () => {
      const calls = new Calls();
      let bFails = true;
      const specs: Record<string, TaskSpec> = {
        a: {},
        b: {
          deps: ["a"],
          run: () => {
            if (bFails) throw new Error("b broke");
            return "b ok";
          },
        },
        c: { deps: ["b"] },
        d: {},
      };
      const error = await failingRun(
        makeExecutor(ctx.store).execute(buildWorkflow("partial", specs, calls)),
      );
      expect(error.name).toBe("WorkflowFailedError");
      const states = await ctx.store.loadTaskStates("partial", "default");
      expect(Object.fromEntries([...states].map(([name, s]) => [name, s.status]))).toEqual({
        a: "COMPLETED",
        b: "FAILED",
        c: "SKIPPED",
        d: "COMPLETED",
      });
      expect(states.get("b")?.error?.message).toBe("b broke");
      expect(states.get("b")?.hasResult).toBe(false);

      bFails = false;
      // `e` is new in this version of the workflow: it never ran, so it runs.
      const grown = buildWorkflow("partial", { ...specs, e: { deps: ["d"] } }, calls);
      await makeExecutor(ctx.store).execute(grown);
      expect(calls.of("a", "b", "c", "d", "e")).toEqual({ a: 1, b: 2, c: 1, d: 1, e: 1 });
      expect(grown.getTask("c").result).toStrictEqual({ task: "c", inputs: { b: "b ok" } });
    });

    it("runs a task again whose stored state is RUNNING (a crash mid-task)", async () => {
      const calls = new Calls();
      await ctx.store.commit({
        runs: [],
        taskStates: [
          stateWrite({ workflow: "crashed", task: "a", status: "RUNNING", finishedAt: undefined }),
        ],
        attempts: [],
      });
      const wf = buildWorkflow("crashed", { a: {} }, calls);
      const run = await makeExecutor(ctx.store).execute(wf);
      expect(calls.count("a")).toBe(1);
      expect(run.tasks.a?.restored).toBe(false);
    });

    it("keeps run keys apart: a new key starts fresh, an old one still resumes", async () => {
      const calls = new Calls();
      const specs: Record<string, TaskSpec> = {
        report: { run: (_, c) => `report for ${c.runKey}` },
      };
      const exec = () => makeExecutor(ctx.store);
      await exec().execute(buildWorkflow("daily", specs, calls), { runKey: "2026-11-25" });
      const tomorrow = buildWorkflow("daily", specs, calls);
      await exec().execute(tomorrow, { runKey: "2026-11-26" });
      expect(calls.count("report")).toBe(2);
      expect(tomorrow.getTask("report").result).toBe("report for 2026-11-26");
      const today = buildWorkflow("daily", specs, calls);
      const run = await exec().execute(today, { runKey: "2026-11-25" });
      expect(calls.count("report")).toBe(2);
      expect(run.runKey).toBe("2026-11-25");
      expect(today.getTask("report").result).toBe("report for 2026-11-25");
      // The default partition is one more key, untouched by the others.
      await exec().execute(buildWorkflow("daily", specs, calls));
      expect(calls.count("report")).toBe(3);
    });

    it("re-runs a task whose version changed, and its dependents", async () => {
      const calls = new Calls();
      const specs = (version: string | number | undefined): Record<string, TaskSpec> => ({
        a: version === undefined ? {} : { version },
        b: { deps: ["a"] },
        c: { deps: ["b"] },
        d: {},
      });
      const exec = () => makeExecutor(ctx.store);
      await exec().execute(buildWorkflow("versioned", specs(undefined), calls));
      expect(calls.of("a", "b", "c", "d")).toEqual({ a: 1, b: 1, c: 1, d: 1 });

      await exec().execute(buildWorkflow("versioned", specs(2), calls));
      expect(calls.of("a", "b", "c", "d")).toEqual({ a: 2, b: 2, c: 2, d: 1 });
      const states = await ctx.store.loadTaskStates("versioned", "default");
      expect(states.get("a")?.version).toBe("2");
      expect(states.get("b")?.version).toBeUndefined();

      // The same version again (a number and its string are one version): nothing runs.
      const same = buildWorkflow("versioned", specs("2"), calls);
      await exec().execute(same);
      expect(calls.of("a", "b", "c", "d")).toEqual({ a: 2, b: 2, c: 2, d: 1 });
      expect(same.getTask("a").restored).toBe(true);

      await exec().execute(buildWorkflow("versioned", specs(undefined), calls));
      expect(calls.of("a", "b", "c", "d")).toEqual({ a: 3, b: 3, c: 3, d: 1 });
    });

    it("ignores stored states of tasks no longer in the workflow", async () => {
      const calls = new Calls();
      await makeExecutor(ctx.store).execute(
        buildWorkflow("shrinking", { a: {}, retired: { deps: ["a"] } }, calls),
      );
      const wf = buildWorkflow("shrinking", { a: {}, b: { deps: ["a"] } }, calls);
      const run = await makeExecutor(ctx.store).execute(wf);
      expect(calls.of("a", "retired", "b")).toEqual({ a: 1, retired: 1, b: 1 });
      expect(Object.keys(run.tasks)).toEqual(["a", "b"]);
      expect(run.tasks.a?.restored).toBe(true);
    });

    it("runs everything again after clearAllStates(name), and leaves other workflows", async () => {
      const calls = new Calls();
      const exec = () => makeExecutor(ctx.store);
      const run = (name: string) => exec().execute(buildWorkflow(name, { [name]: {} }, calls));
      await run("one");
      await run("two");
      await ctx.store.clearAllStates("one");
      await run("one");
      await run("two");
      expect(calls.of("one", "two")).toEqual({ one: 2, two: 1 });
      await ctx.store.clearAllStates();
      await run("one");
      await run("two");
      expect(calls.of("one", "two")).toEqual({ one: 3, two: 2 });
    });

    it("records run history: runs, attempts and task states", async () => {
      const calls = new Calls();
      let flaky = 0;
      let bFails = true;
      const specs: Record<string, TaskSpec> = {
        a: {
          retries: 1,
          run: () => {
            if (++flaky === 1) throw new Error("flaky once");
            return "a ok";
          },
        },
        b: {
          run: () => {
            if (bFails) throw new Error("b is down");
            return "b ok";
          },
        },
        c: { deps: ["a"] },
      };
      const exec = () => makeExecutor(ctx.store);
      const failure = await failingRun(
        exec().execute(buildWorkflow("history", specs, calls), { runKey: "k1" }),
      );
      const firstRunId = (failure as Error & { result: { runId: string } }).result.runId;
      bFails = false;
      const second = await exec().execute(buildWorkflow("history", specs, calls), {
        runKey: "k1",
      });

      const runs = await ctx.store.listRuns({ workflow: "history" });
      expect(runs.map((r) => [r.runId, r.status, r.runKey, r.workflow])).toEqual([
        [second.runId, "COMPLETED", "k1", "history"],
        [firstRunId, "FAILED", "k1", "history"],
      ]);
      const [latest, earliest] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect(latest.startedAt).toBe(second.startedAt.getTime());
      expect(latest.finishedAt).toBe(second.finishedAt.getTime());
      expect(latest.error).toBeUndefined();
      expect(earliest.error?.name).toBe("WorkflowFailedError");
      expect(earliest.startedAt).toBeLessThanOrEqual(earliest.finishedAt as number);
      expect(await ctx.store.listRuns({ runId: firstRunId })).toStrictEqual([earliest]);

      const attempts = byKey(
        await ctx.store.listAttempts(firstRunId),
        (a) => `${a.task}#${a.attempt}`,
      );
      expect(
        attempts.map((a) => [a.task, a.attempt, a.status, a.error?.message, a.workflow]),
      ).toEqual([
        ["a", 1, "FAILED", "flaky once", "history"],
        ["a", 2, "COMPLETED", undefined, "history"],
        ["b", 1, "FAILED", "b is down", "history"],
        ["c", 1, "COMPLETED", undefined, "history"],
      ]);
      for (const attempt of attempts) {
        expect(attempt.runId).toBe(firstRunId);
        expect(attempt.finishedAt).toBeGreaterThanOrEqual(attempt.startedAt);
      }
      // The second run only ran b: a and c were restored.
      const again = await ctx.store.listAttempts(second.runId);
      expect(again.map((a) => [a.task, a.attempt, a.status])).toEqual([["b", 1, "COMPLETED"]]);

      const states = await ctx.store.listTaskStates("history", "k1");
      expect(
        byKey(states, (s) => s.task).map((s) => [s.task, s.status, s.runId, s.attempts]),
      ).toEqual([
        ["a", "COMPLETED", firstRunId, 2],
        ["b", "COMPLETED", second.runId, 1],
        ["c", "COMPLETED", firstRunId, 1],
      ]);
      expect(await ctx.store.listWorkflows()).toEqual(["history"]);
    });

    it("refuses to run while the store's lock on the workflow is held", async () => {
      const calls = new Calls();
      const lock = await ctx.store.acquireLock("locked", {
        runId: "other-run",
        pid: process.pid,
        host: "this-host",
      });
      const wf = buildWorkflow("locked", { a: {} }, calls);
      const error = await failingRun(makeExecutor(ctx.store).execute(wf));
      expect(error.name).toBe("StoreLockedError");
      expect(error.code).toBe("STORE_LOCKED");
      expect(calls.count("a")).toBe(0);
      // Other workflows are not blocked.
      await makeExecutor(ctx.store).execute(buildWorkflow("free", { a: {} }, calls));
      await lock.release();
      await makeExecutor(ctx.store).execute(wf);
      expect(calls.count("a")).toBe(2);
    });
  });

  describe("resume across reopening", () => {
    it("resumes from a reopened store without running stored completions (persistent stores)", async (test) => {
      if (!ctx.fixture.persistent) test.skip();
      const calls = new Calls();
      const [, makeExecutor] = EXECUTORS[0] as (typeof EXECUTORS)[0];
      const specs: Record<string, TaskSpec> = { a: {}, b: { deps: ["a"] } };
      const first = await makeExecutor(ctx.store).execute(buildWorkflow("durable", specs, calls));
      const store = await ctx.reopen();
      const wf = buildWorkflow("durable", specs, calls);
      const run = await makeExecutor(store).execute(wf);
      expect(calls.of("a", "b")).toEqual({ a: 1, b: 1 });
      expect(run.tasks.b?.restored).toBe(true);
      expect(wf.getTask("b").result).toStrictEqual({
        task: "b",
        inputs: { a: { task: "a", inputs: {} } },
      });
      const runs = await store.listRuns({ workflow: "durable" });
      expect(runs.map((r) => r.runId)).toEqual([run.runId, first.runId]);
      expect((await store.listAttempts(first.runId)).length).toBe(2);
    });
  });
}
