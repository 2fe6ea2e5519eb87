/**
 * The executor contract, second half: how a run is controlled and refused. Cancellation,
 * failFast, params and runKey, the context a task sees, busy workflows, graph errors and
 * what is left behind once a run is over.
 */
import { describe, expect, it } from "vitest";
import {
  CycleError,
  MemoryStateStore,
  UnknownDependencyError,
  Workflow,
  WorkflowBusyError,
  WorkflowCancelledError,
  WorkflowFailedError,
} from "../../src/index.js";
import {
  abortWhenRunning,
  abortWhenWaiting,
  attemptSignal,
  leftoverHandles,
  liveHandles,
  type MakeExecutor,
  quiet,
  recordEvents,
  recordingLogger,
  rejectionOf,
  resultOf,
  waitedInThisThread,
  watchAttempts,
  withPlan,
} from "./contract-helpers.js";
import {
  abortLog,
  cancellable,
  context,
  failFast,
  stepTask,
  timeouts,
} from "./contract-workflows.js";

export function controlContract(make: MakeExecutor): void {
  cancellationContract(make);
  failFastContract(make);
  contextContract(make);
  refusalContract(make);
  resourceContract(make);
}

function cancellationContract(make: MakeExecutor): void {
  describe("cancellation", () => {
    it("aborts running tasks, skips the ones not started, saves the finished ones", async () => {
      const stateStore = new MemoryStateStore();
      const controller = new AbortController();
      const reason = new Error("operator pressed stop");
      const recorder = recordingLogger();
      const executor = quiet(make, { stateStore, logger: recorder.logger });
      const attempts = watchAttempts(executor);
      abortWhenWaiting(recorder, "blocker", controller, reason);
      const error = await rejectionOf(
        executor.execute(cancellable, {
          signal: controller.signal,
          ...withPlan({ blocker: { waitForAbortOn: [1] } }),
        }),
      );
      expect(error).toBeInstanceOf(WorkflowCancelledError);
      expect(error).toMatchObject({ code: "WORKFLOW_CANCELLED", cause: reason });
      const run = resultOf(error);
      expect(run.status).toBe("CANCELLED");
      expect(run.tasks.first?.status).toBe("COMPLETED");
      expect(run.tasks.blocker).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.blocker?.error).toMatchObject({ code: "CANCELLED", taskName: "blocker" });
      expect(run.tasks.after?.status).toBe("SKIPPED");
      expect(run.tasks.tail?.status).toBe("SKIPPED");
      // `retrier` is independent: finished before the stop, cancelled while running, or not started.
      const retrier = run.tasks.retrier;
      if (retrier?.status === "FAILED") expect(retrier.error).toMatchObject({ code: "CANCELLED" });
      else expect(["COMPLETED", "SKIPPED"]).toContain(retrier?.status);
      const signal = attemptSignal(attempts, "blocker", 1);
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe(reason);
      // Only a task that ran in this thread can be seen reporting the abort itself: a worker
      // thread is terminated right after it is sent the abort (see the timeout contract).
      const ranHere = waitedInThisThread(recorder.entries, "blocker", 1);
      expect(abortLog).toEqual(ranHere ? [{ task: "blocker", attempt: 1, reason }] : []);

      const stored = await stateStore.loadTaskStates("contract_cancel", "default");
      expect(stored.get("first")?.status).toBe("COMPLETED");
      expect(stored.get("blocker")?.status).toBe("FAILED");

      const resumed = await quiet(make, { stateStore }).execute(cancellable);
      expect(resumed.status).toBe("COMPLETED");
      expect(resumed.tasks.first).toMatchObject({ restored: true, attempts: 1 });
      expect(resumed.tasks.blocker).toMatchObject({ restored: false, status: "COMPLETED" });
    });

    it("cancels a task whose start the abort interrupts, without running it to the end", async () => {
      const executor = quiet(make);
      const controller = new AbortController();
      executor.on("task:start", ({ task }) => {
        if (task.name === "blocker") controller.abort(new Error("stop at start"));
      });
      const error = await rejectionOf(
        executor.execute(cancellable, {
          signal: controller.signal,
          ...withPlan({ blocker: { waitForAbortOn: [1] } }),
        }),
      );
      const run = resultOf(error);
      expect(run.status).toBe("CANCELLED");
      expect(run.tasks.blocker).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.blocker?.error).toMatchObject({ code: "CANCELLED" });
      expect(run.tasks.after?.status).toBe("SKIPPED");
    });

    it.each([
      ["as the retry is announced", (abort: () => void) => abort()],
      ["while the retry waits", (abort: () => void) => queueMicrotask(abort)],
    ])("cancels a task waiting to retry %s, without waiting out its delay", async (_, when) => {
      const before = liveHandles();
      const executor = quiet(make);
      const controller = new AbortController();
      executor.on("task:retry", () => when(() => controller.abort()));
      const error = await rejectionOf(
        executor.execute(cancellable, {
          signal: controller.signal,
          ...withPlan({ retrier: { fail: "error" } }),
        }),
      );
      expect(error).toBeInstanceOf(WorkflowCancelledError);
      const run = resultOf(error);
      expect(run.tasks.retrier).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.retrier?.error).toMatchObject({ code: "CANCELLED" });
      expect(leftoverHandles(before)).toEqual([]);
    });

    it("skips every task when the signal is already aborted", async () => {
      const executor = quiet(make);
      const log = recordEvents(executor);
      const error = await rejectionOf(
        executor.execute(cancellable, { signal: AbortSignal.abort(new Error("too late")) }),
      );
      expect(error).toBeInstanceOf(WorkflowCancelledError);
      const statuses = Object.values(resultOf(error).tasks).map((t) => t.status);
      expect(new Set(statuses)).toEqual(new Set(["SKIPPED"]));
      expect(log.filter((e) => e.event === "task:start")).toEqual([]);
    });
  });
}

function failFastContract(make: MakeExecutor): void {
  describe("failFast", () => {
    it("stops the run at the first failure: nothing new starts, running tasks are cancelled", async () => {
      const executor = quiet(make);
      const log = recordEvents(executor);
      const error = await rejectionOf(
        executor.execute(failFast, {
          failFast: true,
          ...withPlan({ bad: { fail: "error" }, peer: { waitForAbortOn: [1] } }),
        }),
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const run = resultOf(error);
      expect(run.status).toBe("FAILED");
      expect(run.tasks.bad).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.after_bad?.status).toBe("SKIPPED");
      expect(run.tasks.after_peer?.status).toBe("SKIPPED");
      const peer = run.tasks.peer;
      if (peer?.status === "FAILED") expect(peer.error).toMatchObject({ code: "CANCELLED" });
      else expect(peer?.status).toBe("SKIPPED");
      const failedAt = log.findIndex((e) => e.event === "task:error" && e.task === "bad");
      expect(log.slice(failedAt).filter((e) => e.event === "task:start")).toEqual([]);
    });

    it("without failFast, lets independent tasks finish after a failure", async () => {
      const error = await rejectionOf(
        quiet(make).execute(failFast, withPlan({ bad: { fail: "error" } })),
      );
      const run = resultOf(error);
      expect(run.tasks.peer?.status).toBe("COMPLETED");
      expect(run.tasks.after_peer?.status).toBe("COMPLETED");
      expect(run.tasks.after_bad?.status).toBe("SKIPPED");
    });
  });
}

function contextContract(make: MakeExecutor): void {
  describe("task context", () => {
    it("gives tasks params, runKey, attempt from 1, names, run id and a tagged log", async () => {
      const { logger, entries } = recordingLogger();
      const params = { region: "eu", succeedOnAttempt: 2 };
      const run = await quiet(make, { logger }).execute(context, {
        params,
        runKey: "2026-11-25",
      });
      expect(run.runKey).toBe("2026-11-25");
      expect(context.getTask("inspect").result).toEqual({
        attempt: 2,
        taskName: "inspect",
        workflowName: "contract_context",
        runId: run.runId,
        runKey: "2026-11-25",
        params,
        signalAborted: false,
      });
      const logged = entries.filter((e) => e.message === "inspecting");
      expect(logged.map((e) => e.level)).toEqual(["info", "info"]);
      expect(logged.map((e) => e.fields)).toEqual(
        [1, 2].map((attempt) => ({
          runId: run.runId,
          workflow: "contract_context",
          task: "inspect",
          attempt,
          detail: 42,
        })),
      );
    });

    it("keeps state per runKey: the same key resumes, another starts fresh", async () => {
      const stateStore = new MemoryStateStore();
      const executor = quiet(make, { stateStore });
      const first = await executor.execute(context, { runKey: "2026-11-25" });
      expect(first.tasks.inspect?.restored).toBe(false);
      const again = await executor.execute(context, { runKey: "2026-11-25" });
      expect(again.tasks.inspect?.restored).toBe(true);
      expect(context.getTask("inspect").result).toMatchObject({ runId: first.runId });
      const tomorrow = await executor.execute(context, { runKey: "2026-11-26" });
      expect(tomorrow.tasks.inspect?.restored).toBe(false);
      expect(context.getTask("inspect").result).toMatchObject({ runId: tomorrow.runId });
    });
  });
}

function refusalContract(make: MakeExecutor): void {
  describe("refusals", () => {
    it("refuses a second concurrent execute of one workflow object, then runs it once settled", async () => {
      const executor = quiet(make);
      const controller = new AbortController();
      const first = executor.execute(cancellable, {
        signal: controller.signal,
        ...withPlan({ blocker: { waitForAbortOn: [1] } }),
      });
      for (const second of [executor.execute(cancellable), quiet(make).execute(cancellable)]) {
        const busy = await rejectionOf(second);
        expect(busy).toBeInstanceOf(WorkflowBusyError);
        expect(busy).toMatchObject({ code: "WORKFLOW_BUSY" });
        expect(busy.message).toContain('"contract_cancel"');
      }
      controller.abort();
      expect(await rejectionOf(first)).toBeInstanceOf(WorkflowCancelledError);
      expect((await executor.execute(cancellable)).status).toBe("COMPLETED");
    });

    it("refuses an unknown dependency before any task runs", async () => {
      const wf = new Workflow("contract_unknown_dependency");
      wf.addTask(stepTask("a"));
      wf.addTask(stepTask("b"), { dependsOn: ["a", "missing"] });
      expect(() => wf.validate()).toThrow(UnknownDependencyError);
      const executor = quiet(make);
      const log = recordEvents(executor);
      const error = await rejectionOf(executor.execute(wf));
      expect(error).toBeInstanceOf(UnknownDependencyError);
      expect(error).toMatchObject({
        code: "UNKNOWN_DEPENDENCY",
        taskName: "b",
        dependency: "missing",
      });
      expect(error.message).toContain('Task "b"');
      expect(error.message).toContain('"missing"');
      expect(log).toEqual([]);
      expect(wf.getTask("a").status).toBe("PENDING");
    });

    it.each([
      [
        ["a:c", "b:a", "c:b"],
        ["a", "b", "c", "a"],
      ],
      [
        ["x:p", "p:q", "q:p"],
        ["p", "q", "p"],
      ],
      [["solo:solo"], ["solo", "solo"]],
    ])("refuses the cycle in %j before any task runs, spelled %j", async (edges, cycle) => {
      const wf = new Workflow("contract_cycle");
      for (const edge of edges) {
        const [name, dep] = edge.split(":") as [string, string];
        wf.addTask(stepTask(name), { dependsOn: [dep] });
      }
      const executor = quiet(make);
      const log = recordEvents(executor);
      const error = await rejectionOf(executor.execute(wf));
      expect(error).toBeInstanceOf(CycleError);
      expect(error).toMatchObject({ code: "CYCLE_DETECTED", cycle });
      expect(error.message).toContain(cycle.join(" → "));
      expect(() => wf.validate()).toThrow(cycle.join(" → "));
      expect(log).toEqual([]);
      // The refused run did not leave the workflow busy.
      await expect(executor.execute(wf)).rejects.toThrow(CycleError);
    });
  });
}

function resourceContract(make: MakeExecutor): void {
  describe("resources", () => {
    it("leaves no timer or immediate behind once runs with timeouts, retries and cancels are over", async () => {
      const before = liveHandles();
      const executor = quiet(make);
      await rejectionOf(
        executor.execute(
          timeouts,
          withPlan({ slow: { waitForAbortOn: [1] }, stuck: { hangOn: [1] } }),
        ),
      );
      const controller = new AbortController();
      // Not abortWhenWaiting: an executor whose tasks log on another host (a queue worker)
      // runs this test too, and where the abort lands changes nothing of what is checked.
      abortWhenRunning(executor, "blocker", controller);
      await rejectionOf(
        executor.execute(cancellable, {
          signal: controller.signal,
          ...withPlan({ blocker: { waitForAbortOn: [1] } }),
        }),
      );
      await executor.close();
      await executor[Symbol.asyncDispose]();
      expect(leftoverHandles(before)).toEqual([]);
    });
  });
}
