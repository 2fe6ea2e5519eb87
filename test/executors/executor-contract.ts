/**
 * The executor contract: behaviour every executor shares because the scheduler core owns
 * it. Each executor's test file calls {@link executorContract} with a factory, the way
 * every store runs the store contract. The workflows come from `contract-workflows.ts`
 * (an importable module, so executors that run attempts elsewhere can load them); what
 * their tasks do in a run is chosen through `params.plan`.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  NonRetryableError,
  type RunResult,
  TaskTimeoutError,
  WorkflowFailedError,
} from "../../src/index.js";
import { controlContract } from "./contract-control.js";
import {
  attemptSignal,
  eventError,
  type MakeExecutor,
  quiet,
  recordEvents,
  recordingLogger,
  rejectionOf,
  resultOf,
  startsAfterDependencies,
  waitedInThisThread,
  watchAttempts,
  withPlan,
} from "./contract-helpers.js";
import {
  abortLog,
  branches,
  callbackLog,
  callbacks,
  diamond,
  oddNames,
  type Plan,
  resetFixtures,
  retrying,
  type StepResult,
  timeouts,
} from "./contract-workflows.js";

export type { ContractExecutorOptions, MakeExecutor } from "./contract-helpers.js";

/** Registers the shared executor suite for the executor `make` builds. */
export function executorContract(name: string, make: MakeExecutor): void {
  describe(`${name} executor contract`, () => {
    beforeEach(resetFixtures);
    dataFlowContract(make);
    failureContract(make);
    retryContract(make);
    timeoutContract(make);
    callbackAndEventContract(make);
    controlContract(make);
  });
}

function dataFlowContract(make: MakeExecutor): void {
  describe("data flow", () => {
    it("hands each task its dependencies' results by name, one result to several dependents", async () => {
      const run = await quiet(make).execute(diamond, { params: { base: 5 } });
      expect(run.status).toBe("COMPLETED");
      expect(diamond.getTask("source").result).toBe(5);
      expect(diamond.getTask("double").result).toBe(10);
      expect(diamond.getTask("increment").result).toBe(6);
      expect(diamond.getTask("combine").result).toEqual({ keys: ["double", "increment"], sum: 16 });
    });

    it("hands inputs as a null-prototype object, so tasks named like Object's members are plain keys", async () => {
      const run = await quiet(make).execute(oddNames);
      expect(run.status).toBe("COMPLETED");
      expect(oddNames.getTask("reader").result).toEqual({
        nullPrototype: true,
        keys: ["__proto__", "constructor", "toString"],
        values: ["made", { polluted: true }, 3],
        hasOwn: true,
      });
      expect(Object.keys(run.tasks)).toEqual(["constructor", "__proto__", "toString", "reader"]);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    });

    it("resolves a RunResult describing every task", async () => {
      const run = await quiet(make).execute(diamond);
      expect(run).toMatchObject({ workflow: "contract_diamond", runKey: "default" });
      expect(run.runId).toEqual(expect.any(String));
      expect(run.startedAt).toBeInstanceOf(Date);
      expect(run.finishedAt.getTime()).toBeGreaterThanOrEqual(run.startedAt.getTime());
      expect(run.duration).toBeGreaterThanOrEqual(0);
      expect(Object.keys(run.tasks)).toEqual(["source", "double", "increment", "combine"]);
      for (const summary of Object.values(run.tasks)) {
        expect(summary).toMatchObject({ status: "COMPLETED", attempts: 1, restored: false });
        expect(summary.error).toBeUndefined();
        expect(summary.duration).toBeGreaterThanOrEqual(0);
      }
      const node = diamond.getTask("combine");
      expect(node.status).toBe("COMPLETED");
      expect(node.attempts).toBe(1);
      expect(node.startedAt).toBeInstanceOf(Date);
      expect(node.finishedAt).toBeInstanceOf(Date);
    });

    it("gives each task exactly its declared dependencies as inputs", async () => {
      await quiet(make).execute(branches);
      const inputs = (name: string) => (branches.getTask(name).result as StepResult).inputs;
      expect(inputs("root")).toEqual([]);
      expect(inputs("bad")).toEqual(["root"]);
      expect(inputs("mixed")).toEqual(["bad", "side"]);
    });

    it("never starts a task before all its dependencies completed", async () => {
      for (const wf of [diamond, branches]) {
        const executor = quiet(make);
        const log = recordEvents(executor);
        await executor.execute(wf);
        expect(startsAfterDependencies(log, (t) => wf.dependenciesOf(t))).toEqual([]);
        expect(log.filter((e) => e.event === "task:start")).toHaveLength(wf.tasks.length);
      }
    });
  });
}

function failureContract(make: MakeExecutor): void {
  describe("failures", () => {
    it("skips a failed task's dependents, finishes independent branches, rejects with the run", async () => {
      const error = await rejectionOf(
        quiet(make).execute(branches, withPlan({ bad: { fail: "error" } })),
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect(error).toMatchObject({ code: "WORKFLOW_FAILED", failedTasks: ["bad"] });
      expect(error.message).toContain('"bad"');
      const run = resultOf(error);
      expect(error).toMatchObject({ runId: run.runId });
      expect(run.status).toBe("FAILED");
      expect(Object.keys(run.tasks)).toEqual(branches.tasks.map((t) => t.name));
      const statuses = Object.fromEntries(Object.entries(run.tasks).map(([n, s]) => [n, s.status]));
      expect(statuses).toEqual({
        root: "COMPLETED",
        bad: "FAILED",
        child: "SKIPPED",
        grandchild: "SKIPPED",
        side: "COMPLETED",
        side_after: "COMPLETED",
        lone: "COMPLETED",
        mixed: "SKIPPED",
      });
      expect(run.tasks.bad?.attempts).toBe(2);
      expect(run.tasks.bad?.duration).toBeGreaterThanOrEqual(0);
      expect(run.tasks.bad?.error?.message).toBe("bad failed on attempt 2");
      expect(run.tasks.root).toMatchObject({ attempts: 1, error: undefined });
      expect(run.tasks.child).toMatchObject({ attempts: 0, duration: undefined, error: undefined });
      expect(branches.getTask("bad").error?.message).toBe("bad failed on attempt 2");
      expect(branches.getTask("grandchild").status).toBe("SKIPPED");
    });

    it("runs the workflow again once a failed run settled", async () => {
      const executor = quiet(make);
      await rejectionOf(executor.execute(branches, withPlan({ bad: { fail: "error" } })));
      const run = await executor.execute(branches);
      expect(run.status).toBe("COMPLETED");
      expect(branches.getTask("bad")).toMatchObject({ status: "COMPLETED", attempts: 1 });
      expect(branches.getTask("bad").error).toBeUndefined();
    });
  });
}

function retryContract(make: MakeExecutor): void {
  const runRetrying = async (plan: Plan): Promise<RunResult> => {
    try {
      return await quiet(make).execute(retrying, withPlan(plan));
    } catch (error) {
      return resultOf(error as Error);
    }
  };
  const calls = (task: string) =>
    callbackLog.filter((c) => c.task === task).map(({ node: _node, ...call }) => call);

  describe("retries", () => {
    it("retries until an attempt succeeds, calling onRetry with the next attempt", async () => {
      const run = await runRetrying({ flaky: { succeedOnAttempt: 3 } });
      expect(run.tasks.flaky).toMatchObject({ status: "COMPLETED", attempts: 3 });
      expect(calls("flaky")).toEqual([
        { hook: "onStart", task: "flaky", status: "RUNNING", attempts: 1 },
        {
          hook: "onRetry",
          task: "flaky",
          status: "RUNNING",
          attempts: 1,
          nextAttempt: 2,
          error: "flaky: transient failure on attempt 1",
        },
        {
          hook: "onRetry",
          task: "flaky",
          status: "RUNNING",
          attempts: 2,
          nextAttempt: 3,
          error: "flaky: transient failure on attempt 2",
        },
        { hook: "onComplete", task: "flaky", status: "COMPLETED", attempts: 3 },
      ]);
    });

    it("fails after `retries` extra attempts", async () => {
      const run = await runRetrying({ exhausted: { fail: "error" } });
      expect(run.tasks.exhausted).toMatchObject({ status: "FAILED", attempts: 3 });
      expect(run.tasks.exhausted?.error?.message).toBe("exhausted failed on attempt 3");
    });

    it("stops retrying when retryOn returns false, and retries when it returns true", async () => {
      const refused = await runRetrying({ picky: { fail: "permanent" } });
      expect(refused.tasks.picky).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(calls("picky").map((c) => c.hook)).toEqual(["onStart", "onError"]);
      const accepted = await runRetrying({ picky: { succeedOnAttempt: 2 } });
      expect(accepted.tasks.picky).toMatchObject({ status: "COMPLETED", attempts: 2 });
    });

    it("fails at once on NonRetryableError, with retries left", async () => {
      const run = await runRetrying({ fatal: { fail: "nonRetryable" } });
      expect(run.tasks.fatal).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.fatal?.error).toBeInstanceOf(NonRetryableError);
      expect(run.tasks.fatal?.error).toMatchObject({ code: "NON_RETRYABLE" });
      expect(calls("fatal").map((c) => c.hook)).toEqual(["onStart", "onError"]);
    });

    it("waits out retryDelay, then retries", async () => {
      const run = await runRetrying({ delayed: { succeedOnAttempt: 2 } });
      expect(run.status).toBe("COMPLETED");
      expect(run.tasks.delayed).toMatchObject({ status: "COMPLETED", attempts: 2 });
    });
  });
}

function timeoutContract(make: MakeExecutor): void {
  describe("timeouts", () => {
    it("fails a timed-out attempt with a retryable TaskTimeoutError and aborts its ctx.signal", async () => {
      const { logger, entries } = recordingLogger();
      const executor = quiet(make, { logger });
      const log = recordEvents(executor);
      const attempts = watchAttempts(executor);
      const run = await executor.execute(timeouts, withPlan({ slow: { waitForAbortOn: [1] } }));
      expect(run.tasks.slow).toMatchObject({ status: "COMPLETED", attempts: 2 });
      const retry = log.find((e) => e.event === "task:retry" && e.task === "slow");
      const error = eventError(retry);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ code: "TASK_TIMEOUT", taskName: "slow" });
      expect(error?.message).toBe('Task "slow" timed out after 30ms (attempt 1).');
      // The attempt's ctx.signal, as the scheduler handed it to the runner, aborted with the timeout.
      const signal = attemptSignal(attempts, "slow", 1);
      expect(signal?.aborted).toBe(true);
      expect(signal?.reason).toBe(error);
      // What the task itself saw can be checked only where it ran in this thread. A worker
      // thread is sent the abort and terminated right after, so the task there may never get
      // to report it, by any channel; the main thread's signal above is what can be seen.
      const ranHere = waitedInThisThread(entries, "slow", 1);
      expect(abortLog).toEqual(ranHere ? [{ task: "slow", attempt: 1, reason: error }] : []);
    });

    it("does not wait for a task that ignores its signal, and frees its slot", async () => {
      const error = await rejectionOf(
        quiet(make).execute(timeouts, withPlan({ stuck: { hangOn: [1] } })),
      );
      const run = resultOf(error);
      expect(run.tasks.stuck).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(run.tasks.stuck?.error).toBeInstanceOf(TaskTimeoutError);
      expect(run.tasks.after_stuck?.status).toBe("COMPLETED");
      expect(run.tasks.slow?.status).toBe("COMPLETED");
    });
  });
}

function callbackAndEventContract(make: MakeExecutor): void {
  describe("callbacks", () => {
    it("calls onStart, onRetry, onComplete and onError with the workflow's node", async () => {
      const plan = { watched: { succeedOnAttempt: 2 }, watched_fail: { fail: "error" } } as const;
      await rejectionOf(quiet(make).execute(callbacks, withPlan(plan)));
      const watched = callbacks.getTask("watched");
      expect(callbackLog.filter((c) => c.task === "watched")).toEqual([
        { hook: "onStart", node: watched, task: "watched", status: "RUNNING", attempts: 1 },
        expect.objectContaining({ hook: "onRetry", node: watched, nextAttempt: 2 }),
        { hook: "onComplete", node: watched, task: "watched", status: "COMPLETED", attempts: 2 },
      ]);
      expect(callbackLog.filter((c) => c.task === "watched_fail")).toEqual([
        expect.objectContaining({ hook: "onStart" }),
        expect.objectContaining({
          hook: "onError",
          node: callbacks.getTask("watched_fail"),
          status: "FAILED",
          attempts: 1,
          error: "watched_fail failed on attempt 1",
        }),
      ]);
    });

    it("logs callbacks that throw or reject and keeps every outcome", async () => {
      const { logger, entries } = recordingLogger();
      const plan = { noisy: { succeedOnAttempt: 2 }, noisy_async: { succeedOnAttempt: 2 } };
      const run = await quiet(make, { logger }).execute(callbacks, withPlan(plan));
      expect(run.tasks.noisy).toMatchObject({ status: "COMPLETED", attempts: 2 });
      expect(run.tasks.noisy_async).toMatchObject({ status: "COMPLETED", attempts: 2 });
      const warned = entries.filter((e) => e.level === "warn").map((e) => e.message);
      for (const task of ["noisy", "noisy_async"]) {
        for (const hook of ["onStart", "onRetry", "onComplete"]) {
          expect(warned).toContain(
            `${hook} callback of task "${task}" threw; the run goes on unchanged`,
          );
        }
      }
      const logged = entries.find((e) => e.message.startsWith('onStart callback of task "noisy"'));
      expect(logged?.fields.error).toEqual(new Error("callback exploded"));

      entries.length = 0;
      const failed = resultOf(
        await rejectionOf(
          quiet(make, { logger }).execute(callbacks, withPlan({ noisy: { fail: "error" } })),
        ),
      );
      expect(failed.tasks.noisy).toMatchObject({ status: "FAILED", attempts: 2 });
      expect(failed.tasks.noisy?.error?.message).toBe("noisy failed on attempt 2");
      expect(entries.map((e) => e.message)).toContain(
        'onError callback of task "noisy" threw; the run goes on unchanged',
      );
    });
  });

  describe("events", () => {
    it("emits run:start, task:start/retry/complete/error and run:finish with their payloads", async () => {
      const executor = quiet(make);
      const log = recordEvents(executor);
      const plan = { flaky: { succeedOnAttempt: 2 }, fatal: { fail: "nonRetryable" } } as const;
      const error = await rejectionOf(executor.execute(retrying, withPlan(plan)));
      const run = resultOf(error);
      expect(log[0]?.event).toBe("run:start");
      expect(log.at(-1)?.event).toBe("run:finish");
      expect((log.at(-1)?.payload as { result?: RunResult } | undefined)?.result).toBe(run);
      for (const entry of log) {
        expect(entry.payload).toMatchObject({
          runId: run.runId,
          workflow: "contract_retries",
          runKey: "default",
        });
      }
      const of = (task: string) =>
        log.filter((e) => e.task === task).map((e) => [e.event, e.attempt]);
      expect(of("flaky")).toEqual([
        ["task:start", 1],
        ["task:retry", 2],
        ["task:start", 2],
        ["task:complete", 2],
      ]);
      expect(of("fatal")).toEqual([
        ["task:start", 1],
        ["task:error", 1],
      ]);
      const flakyEvents = log.filter((e) => e.task === "flaky");
      for (const entry of flakyEvents) {
        expect((entry.payload as { task?: unknown }).task).toBe(retrying.getTask("flaky"));
      }
      const retryError = eventError(flakyEvents[1]);
      expect(retryError?.message).toBe("flaky: transient failure on attempt 1");
      const fatalError = eventError(log.find((e) => e.event === "task:error"));
      expect(fatalError).toBeInstanceOf(NonRetryableError);
    });

    it("logs listeners that throw or reject and changes nothing", async () => {
      const { logger, entries } = recordingLogger();
      const executor = quiet(make, { logger });
      for (const event of ["run:start", "task:start", "task:complete", "run:finish"] as const) {
        executor.on(event, () => {
          throw new Error(`${event} listener exploded`);
        });
        executor.on(event, () => Promise.reject(new Error(`${event} async listener exploded`)));
      }
      const run = await executor.execute(diamond, { params: { base: 1 } });
      expect(run.status).toBe("COMPLETED");
      expect(diamond.getTask("combine").result).toEqual({ keys: ["double", "increment"], sum: 4 });
      const warned = entries.filter((e) => e.level === "warn");
      expect(warned.map((e) => e.message)).toContain(
        '"task:start" listener threw; the run goes on unchanged',
      );
      const errors = warned.map((e) => (e.fields.error as Error).message);
      expect(errors).toContain("run:finish listener exploded");
      expect(errors).toContain("task:complete async listener exploded");
    });
  });
}
