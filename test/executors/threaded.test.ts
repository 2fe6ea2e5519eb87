import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { threadId } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigurationError,
  type Logger,
  NonRetryableError,
  SerializationError,
  silentLogger,
  TaskTimeoutError,
  ThreadedExecutor,
  type ThreadedExecutorOptions,
  task,
  Workflow,
  WorkflowCancelledError,
} from "../../src/index.js";
import {
  type EventEntry,
  recordEvents,
  recordingLogger,
  rejectionOf,
  resultOf,
} from "./contract-helpers.js";
import { getHidden, growing, shared, twinA } from "./fixtures/threaded-lookup.js";
import { laterRun, scripted, topLevelRuns } from "./fixtures/threaded-top-level.js";
import {
  busy,
  context,
  crashes,
  endless,
  failing,
  parallel,
  type Span,
  threads,
  values,
} from "./fixtures/threaded-workflows.js";

const executors: ThreadedExecutor[] = [];

/** A quiet executor, closed after the test. */
function threaded(options: ThreadedExecutorOptions = {}): ThreadedExecutor {
  const executor = new ThreadedExecutor({ logger: silentLogger, maxWorkers: 2, ...options });
  executors.push(executor);
  return executor;
}

/** The error a task:retry event of `task` carried. */
function retryError(events: readonly EventEntry[], task: string): Error | undefined {
  const retry = events.find((e) => e.event === "task:retry" && e.task === task);
  return (retry?.payload as { error?: Error } | undefined)?.error;
}

afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.close()));
});

describe("ThreadedExecutor", () => {
  describe("running tasks on worker threads", () => {
    it("runs tasks off the main thread and hands results across by name, types intact", async () => {
      const run = await threaded().execute(values);
      expect(run.status).toBe("COMPLETED");
      const seen = values.getTask("inspect_types").result as Record<string, unknown>;
      expect(seen).toMatchObject({
        isBuffer: true,
        text: "flowweaver",
        isMap: true,
        big: 2n ** 70n,
        isSet: true,
        isDate: true,
        hasUndefined: true,
      });
      // And back to the main thread.
      const echo = seen.echo as Record<string, unknown>;
      expect(Buffer.isBuffer(echo.buffer)).toBe(true);
      expect(echo.map).toEqual(new Map([["big", 2n ** 70n]]));
      expect(echo.set).toEqual(new Set([1, 2]));
      expect(echo.when).toEqual(new Date("2026-11-25T10:00:00Z"));
      expect("nothing" in echo).toBe(true);
    });

    it("runs CPU-bound tasks in parallel: their spans overlap on two threads", async () => {
      const executor = threaded({ maxWorkers: 2 });
      // Start both threads and import the module in each, so neither task waits for that.
      await executor.execute(threads);
      expect(executor.threads).toBe(2);
      await executor.execute(parallel);
      const a = parallel.getTask("crunch_a").result as Span;
      const b = parallel.getTask("crunch_b").result as Span;
      expect(a.threadId).not.toBe(b.threadId);
      expect([a.threadId, b.threadId]).not.toContain(threadId);
      expect(a.start).toBeLessThan(b.end);
      expect(b.start).toBeLessThan(a.end);
    });

    it("reuses its threads across attempts and runs, never more than maxWorkers", async () => {
      const executor = threaded({ maxWorkers: 2 });
      const ids = new Set<unknown>();
      for (let i = 0; i < 3; i++) {
        await executor.execute(threads);
        for (const node of threads.tasks) ids.add(node.result);
      }
      expect(ids.size).toBeLessThanOrEqual(2);
      expect(executor.threads).toBeLessThanOrEqual(2);
    });

    it("gives the task a context in the worker and forwards ctx.log to the main logger", async () => {
      const { logger, entries } = recordingLogger();
      const executor = threaded({ logger });
      const events = recordEvents(executor);
      const run = await executor.execute(context, {
        params: { region: "eu", limit: 3n },
        runKey: "2026-11-25",
      });
      expect(context.getTask("context_probe").result).toEqual({
        threadId: expect.any(Number),
        attempt: 2,
        taskName: "context_probe",
        workflowName: "threaded_context",
        runId: run.runId,
        runKey: "2026-11-25",
        params: { region: "eu", limit: 3n },
        paramsFrozen: true,
        signalIsAbortSignal: true,
        signalAborted: false,
      });
      const lines = entries.filter((e) => e.message === "hello from a worker");
      expect(lines.map((e) => e.level)).toEqual(["info", "info"]);
      expect(lines[0]?.fields).toMatchObject({
        runId: run.runId,
        workflow: "threaded_context",
        task: "context_probe",
        attempt: 1,
        nested: { ok: true },
        fn: "[function fn]",
      });
      expect(lines[1]?.fields).toMatchObject({ attempt: 2 });
      // Events fire on the main thread with the workflow's own node.
      expect(events.map((e) => [e.event, e.attempt])).toEqual([
        ["run:start", undefined],
        ["task:start", 1],
        ["task:retry", 2],
        ["task:start", 2],
        ["task:complete", 2],
        ["run:finish", undefined],
      ]);
      const start = events[1]?.payload as { task?: unknown } | undefined;
      expect(start?.task).toBe(context.getTask("context_probe"));
    });
  });

  describe("timeouts, cancellation and crashes", () => {
    it("ends a synchronous endless loop at its timeout and retries it on a fresh thread", async () => {
      const executor = threaded({ maxWorkers: 1 });
      const events = recordEvents(executor);
      const run = await executor.execute(endless);
      expect(run.tasks.loop_forever).toMatchObject({ status: "COMPLETED", attempts: 2 });
      expect(run.tasks.after_loop?.status).toBe("COMPLETED");
      const error = retryError(events, "loop_forever");
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error?.message).toBe('Task "loop_forever" timed out after 300ms (attempt 1).');
      expect(executor.threads).toBe(1);
    });

    it("terminates a busy thread when the run is cancelled, and runs again afterwards", async () => {
      const controller = new AbortController();
      const logger: Logger = {
        ...silentLogger,
        info: (_fields, message) => {
          if (message === "spinning") controller.abort(new Error("operator stop"));
        },
      };
      const executor = threaded({ maxWorkers: 1, logger });
      const error = await rejectionOf(executor.execute(busy, { signal: controller.signal }));
      expect(error).toBeInstanceOf(WorkflowCancelledError);
      const run = resultOf(error);
      expect(run.status).toBe("CANCELLED");
      expect(run.tasks.busy?.status).toBe("FAILED");
      expect(run.tasks.busy?.error).toMatchObject({ code: "CANCELLED" });
      expect(run.tasks.waiting?.status).toBe("SKIPPED");
      // The spinning thread is gone; the executor still runs workflows.
      expect(executor.threads).toBe(0);
      await expect(executor.execute(threads)).resolves.toMatchObject({ status: "COMPLETED" });
    });

    it("fails an attempt whose thread dies (exit, uncaught error, out of heap) and goes on", async () => {
      const executor = threaded({
        maxWorkers: 3,
        resourceLimits: { maxOldGenerationSizeMb: 48 },
      });
      const events = recordEvents(executor);
      const run = await executor.execute(crashes);
      expect(run.status).toBe("COMPLETED");
      for (const name of ["exits", "throws_in_timer", "runs_out_of_memory"]) {
        expect(run.tasks[name]).toMatchObject({ status: "COMPLETED", attempts: 2 });
      }
      expect(crashes.getTask("after_crashes").result).toBe("still running");
      const errorOf = (name: string) => retryError(events, name);
      for (const name of ["exits", "throws_in_timer", "runs_out_of_memory"]) {
        expect(errorOf(name)).toMatchObject({ code: "WORKER_CRASHED", taskName: name });
      }
      expect(errorOf("exits")?.message).toBe(
        'Task "exits" (attempt 1) ended its worker thread with exit code 3 (process.exit() in a thread ends the thread) before returning. A task must return or throw, not exit. The thread was replaced.',
      );
      expect(errorOf("throws_in_timer")?.message).toContain(
        "crashed its worker thread with an uncaught TypeError: exploded in a timer",
      );
      expect(errorOf("runs_out_of_memory")?.message).toContain(
        "ran its worker thread out of memory (resourceLimits.maxOldGenerationSizeMb: 48)",
      );
      expect(executor.threads).toBeLessThanOrEqual(3);
    });
  });

  describe("errors that cross threads", () => {
    it("keeps name, message, code and stack; NonRetryableError is not retried", async () => {
      const run = resultOf(await rejectionOf(threaded({ maxWorkers: 3 }).execute(failing)));
      const refused = run.tasks.refuses;
      expect(refused).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(refused?.error).toBeInstanceOf(NonRetryableError);
      expect(refused?.error).toMatchObject({
        name: "NonRetryableError",
        code: "BAD_INPUT",
        message: "bad input, retrying cannot help",
      });
      expect(refused?.error?.stack).toContain("threaded-workflows.ts");

      const coded = run.tasks.coded;
      expect(coded).toMatchObject({ status: "FAILED", attempts: 2 });
      expect(coded?.error).toMatchObject({ name: "RangeError", code: "E_RANGE" });
      expect(coded?.error?.message).toBe("out of range");
    });

    it("fails a result that cannot cross with a SerializationError naming the task", async () => {
      const run = resultOf(await rejectionOf(threaded({ maxWorkers: 3 }).execute(failing)));
      const summary = run.tasks.returns_function;
      expect(summary).toMatchObject({ status: "FAILED", attempts: 1 });
      expect(summary?.error).toBeInstanceOf(SerializationError);
      expect(summary?.error).toMatchObject({
        code: "SERIALIZATION_FAILED",
        taskName: "returns_function",
      });
      expect(summary?.error?.message).toContain(
        'Cannot store the result of task "returns_function": a function (callback) cannot be stored, at result.callback.',
      );
    });

    it("fails params that cannot cross with a SerializationError naming the task", async () => {
      const run = resultOf(
        await rejectionOf(threaded().execute(threads, { params: { onDone: () => 1 } })),
      );
      const error = run.tasks.t1?.error;
      expect(error).toBeInstanceOf(SerializationError);
      expect(error).toMatchObject({ taskName: "t1", path: "params.onDone" });
      expect(error?.message).toContain('params of the run (sent to task "t1")');
    });
  });

  describe("finding the workflow in a worker", () => {
    it("refuses a workflow without a module before any task starts, saying how to fix it", async () => {
      const wf = new Workflow("threaded_no_module");
      wf.addTask(task("step", () => 1));
      const executor = threaded();
      const events = recordEvents(executor);
      const error = await rejectionOf(executor.execute(wf));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(error).toMatchObject({ code: "WORKFLOW_MODULE_MISSING" });
      expect(error.message).toContain("module: import.meta.url");
      expect(events).toEqual([]);
      expect(wf.getTask("step").status).toBe("PENDING");
    });

    it("refuses a module a worker cannot import: missing, throwing or exiting in a thread", async () => {
      const missing = new Workflow({
        name: "threaded_missing",
        module: pathToFileURL("/nonexistent/flowweaver/workflow.ts").href,
      });
      missing.addTask(task("step", () => 1));
      const gone = await rejectionOf(threaded().execute(missing));
      expect(gone).toMatchObject({ name: "ConfigurationError", code: "MODULE_IMPORT_FAILED" });
      expect(gone.message).toContain("file:///nonexistent/flowweaver/workflow.ts");
      expect(gone.message).toContain('module of workflow "threaded_missing"');

      const { hostile } = await import("./fixtures/threaded-worker-hostile.js");
      const refused = await rejectionOf(threaded().execute(hostile));
      expect(refused).toMatchObject({ code: "MODULE_IMPORT_FAILED" });
      expect(refused.message).toContain("this module reads a main-thread-only resource");

      const { exiting } = await import("./fixtures/threaded-worker-exit.js");
      const exited = await rejectionOf(threaded().execute(exiting));
      expect(exited).toMatchObject({ code: "MODULE_IMPORT_FAILED" });
      expect(exited.message).toBe(
        `Workflow "threaded_exiting" cannot run on threads: a worker thread exited with code 5 while importing the workflow's module. Check that ${exiting.module} imports cleanly on its own, outside the main thread.`,
      );
    });

    it("refuses a workflow its module does not export", async () => {
      const error = await rejectionOf(threaded().execute(getHidden()));
      expect(error).toMatchObject({ name: "ConfigurationError", code: "WORKFLOW_NOT_EXPORTED" });
      expect(error.message).toContain('exports no workflow named "threaded_hidden"');
      expect(error.message).toContain("export default wf");
    });

    it("refuses two exported workflows with one name, and accepts one exported twice", async () => {
      const error = await rejectionOf(threaded().execute(twinA));
      expect(error).toMatchObject({ code: "WORKFLOW_AMBIGUOUS" });
      expect(error.message).toContain('2 different workflows named "threaded_twin"');
      expect(error.message).toContain('"twinA"');
      expect(error.message).toContain('"twinB"');
      await expect(threaded().execute(shared)).resolves.toMatchObject({ status: "COMPLETED" });
      expect(shared.getTask("shared_step").result).toBe("shared");
    });

    it("refuses a task that importing the module does not add", async () => {
      growing.addTask(task("added_here", () => "only on this thread"));
      const error = await rejectionOf(threaded().execute(growing));
      expect(error).toMatchObject({ code: "TASK_NOT_IN_MODULE", taskName: "added_here" });
      expect(error.message).toContain('without task "added_here"');
      expect(error.message).toContain("top level");
    });

    it("imports a module whose top level executes the workflow without running it again", async () => {
      await laterRun;
      // On this thread the module's own top-level runs really ran.
      expect(topLevelRuns.map((run) => run.runId.length)).toEqual([36, 36]);
      await threaded({ maxWorkers: 1 }).execute(scripted);
      const report = scripted.getTask("report").result as {
        threadId: number;
        topLevel: { runId: string; status: string; tasks: string[] }[];
        nested: { runIdLength: number; result: unknown };
      };
      expect(report.threadId).not.toBe(threadId);
      // In the worker, both of the module's calls ran nothing...
      expect(report.topLevel).toEqual([
        { runId: "", status: "COMPLETED", tasks: ["SKIPPED"] },
        { runId: "", status: "COMPLETED", tasks: ["SKIPPED"] },
      ]);
      // ...while a workflow executed from inside a task ran for real.
      expect(report.nested).toEqual({ runIdLength: 36, result: report.threadId });
    });

    it("runs a TypeScript module under tsx, and idle threads let the process exit", async () => {
      const script = fileURLToPath(new URL("./fixtures/threaded-script.ts", import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], {
        timeout: 20_000,
      });
      const report = JSON.parse(stdout.trim()) as Record<string, unknown>;
      expect(report).toMatchObject({
        status: "COMPLETED",
        mainThread: 0,
        square: { value: 49 },
        describe: { text: "7² = 49" },
      });
      expect((report.square as { threadId: number }).threadId).toBeGreaterThan(0);
    });
  });

  describe("options and lifecycle", () => {
    it("validates its options, naming the option and the value", () => {
      expect(() => new ThreadedExecutor({ maxWorkers: 0 })).toThrow(
        'ThreadedExecutor option "maxWorkers" must be a whole number >= 1; got 0.',
      );
      expect(
        () => new ThreadedExecutor({ resourceLimits: { maxOldGenerationSizeMb: -1 } }),
      ).toThrow(
        'ThreadedExecutor option "resourceLimits.maxOldGenerationSizeMb" must be a number of megabytes > 0; got -1.',
      );
      expect(
        () =>
          new ThreadedExecutor({
            resourceLimits: { heapMb: 1 } as ThreadedExecutorOptions["resourceLimits"],
          }),
      ).toThrow(/unknown key "heapMb"/);
      expect(new ThreadedExecutor().maxWorkers).toBeGreaterThanOrEqual(1);
    });

    it("close() terminates every thread; later runs are refused; closing twice is fine", async () => {
      const executor = new ThreadedExecutor({ maxWorkers: 2, logger: silentLogger });
      await executor.execute(threads);
      expect(executor.threads).toBe(2);
      await executor.close();
      expect(executor.threads).toBe(0);
      await executor.close();
      const error = await rejectionOf(executor.execute(threads));
      expect(error).toMatchObject({ code: "EXECUTOR_CLOSED" });
      expect(error.message).toContain("Create a new ThreadedExecutor");
    });

    it("closes through Symbol.asyncDispose", async () => {
      let kept: ThreadedExecutor | undefined;
      {
        await using executor = new ThreadedExecutor({ maxWorkers: 1, logger: silentLogger });
        kept = executor;
        await executor.execute(threads);
        expect(executor.threads).toBe(1);
      }
      expect(kept.threads).toBe(0);
    });
  });
});
