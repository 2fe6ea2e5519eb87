/**
 * Every public entry point called from plain JavaScript with the wrong thing: the error is
 * a ConfigurationError (or the specific class) that names the argument and shows the value.
 */
import { describe, expect, it } from "vitest";
import {
  AsyncExecutor,
  ConfigurationError,
  DuplicateTaskError,
  SequentialExecutor,
  silentLogger,
  Task,
  task,
  Workflow,
} from "../../src/index.js";

/** A value passed as untyped JavaScript would pass it: the compiler accepts it anywhere. */
const js = (value: unknown): never => value as never;
const noop = () => 1;

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

function expectConfigError(error: Error, ...fragments: string[]): void {
  expect(error).toBeInstanceOf(ConfigurationError);
  expect(error).toMatchObject({ name: "ConfigurationError", code: "INVALID_CONFIGURATION" });
  for (const fragment of fragments) expect(error.message).toContain(fragment);
}

describe("new Workflow()", () => {
  it.each([
    ["no argument", undefined, "got undefined"],
    ["an empty name", "", 'got ""'],
    ["a number", 7, "got 7"],
    ["options without a name", { description: "x" }, "got undefined"],
    ["a blank name in options", { name: "  " }, 'got "  "'],
  ])("refuses %s", (_, given, shown) => {
    const error = thrown(() => new Workflow(js(given)));
    expectConfigError(error, "new Workflow()", "name", shown);
  });

  it("refuses a description or module of the wrong type", () => {
    expectConfigError(
      thrown(() => new Workflow(js({ name: "wf", description: 3 }))),
      '"description"',
      "got 3",
    );
    expectConfigError(
      thrown(() => new Workflow(js({ name: "wf", module: 3 }))),
      '"module"',
      "import.meta.url",
      "got 3",
    );
  });
});

describe("task() and new Task()", () => {
  it("refuses an anonymous function without a name", () => {
    expectConfigError(
      thrown(() => task(() => 1)),
      "task(fn) needs a name",
      "{ name }",
    );
  });

  it("takes the name from options when the function has none", () => {
    expect(task(() => 1, { name: "named" }).taskName).toBe("named");
  });

  it.each([
    ["a number instead of a function", () => task("x", js(5)), ['task "x"', "function", "got 5"]],
    ["no function", () => task("x", js(undefined)), ['task "x"', "got undefined"]],
    ["a name that is not a string", () => task(js(5), noop), ["task name", "got 5"]],
    ["new Task without a name", () => new Task(js(""), noop), ["new Task()", 'got ""']],
    ["new Task without a function", () => new Task("t", js("fn")), ['task "t"', 'got "fn"']],
  ])("refuses %s", (_, call, fragments) => {
    expectConfigError(thrown(call), ...fragments);
  });

  it.each<[string, unknown, ...string[]]>([
    ["retries", "3", '"retries"', 'got "3"'],
    ["retries", -1, '"retries"', "got -1"],
    ["retries", 1.5, '"retries"', "got 1.5"],
    ["retryDelay", "later", '"retryDelay"', 'got "later"'],
    ["timeout", -1, '"timeout"', "got -1"],
    ["timeout", "soon", '"timeout"', 'got "soon"'],
    ["timeout", 0, '"timeout"', "got 0"],
    ["maxRetryDelay", Number.NaN, '"maxRetryDelay"', "got NaN"],
    ["backoff", "linear", '"backoff"', 'got "linear"'],
    ["jitter", 2, '"jitter"', "got 2"],
    ["jitter", "yes", '"jitter"', 'got "yes"'],
    ["retryOn", true, '"retryOn"', "got true"],
    ["version", { v: 1 }, '"version"', 'got an object {"v":1}'],
    ["description", 5, '"description"', "got 5"],
    ["callbacks", "onStart", '"callbacks"', 'got "onStart"'],
  ])("refuses option %s: %j", (option, value, ...fragments) => {
    const error = thrown(() => task("fetch", noop, js({ [option]: value })));
    expectConfigError(error, 'Task "fetch"', ...fragments);
    expect(error).toMatchObject({ taskName: "fetch" });
  });

  it("refuses a callback that is not a function, naming it", () => {
    const error = thrown(() => task("fetch", noop, js({ callbacks: { onError: "log it" } })));
    expectConfigError(error, 'Task "fetch"', '"callbacks.onError"', "function", 'got "log it"');
  });

  it("refuses unknown option and callback names, listing the known ones", () => {
    expectConfigError(
      thrown(() => task("fetch", noop, js({ retry: 3 }))),
      'unknown option "retry"',
      "retries",
    );
    expectConfigError(
      thrown(() => task("fetch", noop, js({ onComplete: noop }))),
      'unknown option "onComplete"',
      "callbacks: { onStart, onComplete, onError, onRetry }",
    );
    expectConfigError(
      thrown(() => task("fetch", noop, js({ callbacks: { onFinish: noop } }))),
      'unknown callback "onFinish"',
      "onComplete",
    );
  });

  it("refuses options that are not an object", () => {
    expectConfigError(
      thrown(() => task("fetch", noop, js(3))),
      "options",
      "got 3",
    );
  });

  it("accepts every duration form", () => {
    for (const timeout of [1, 0.25, "250ms", "30s", "5m", "1h"]) {
      expect(() => task("ok", noop, js({ timeout }))).not.toThrow();
    }
  });
});

describe("addTask()", () => {
  it.each([
    ["a string", "a", 'got "a"'],
    ["an object", { a: 1 }, 'got an object {"a":1}'],
  ])("refuses dependsOn as %s", (_, dependsOn, shown) => {
    const wf = new Workflow("bad_deps");
    const error = thrown(() => wf.addTask(task("b", noop), js({ dependsOn })));
    expectConfigError(error, 'Task "b"', '"dependsOn"', "array", shown);
  });

  it("refuses a dependsOn entry that is neither a name nor a task", () => {
    const wf = new Workflow("bad_deps");
    const error = thrown(() => wf.addTask(task("b", noop), js({ dependsOn: ["a", 5] })));
    expectConfigError(error, 'Task "b"', '"dependsOn"', "got 5");
  });

  it("refuses something that is not a task", () => {
    const wf = new Workflow("not_a_task");
    expectConfigError(
      thrown(() => wf.addTask(js(noop))),
      "addTask()",
      "task()",
      "got a function",
    );
    expectConfigError(
      thrown(() => wf.addTask(js({ name: "x" }))),
      "addTask()",
      "got an object",
    );
  });

  it("refuses options that are not an object", () => {
    const wf = new Workflow("bad_options");
    expectConfigError(
      thrown(() => wf.addTask(task("b", noop), js("a"))),
      "dependsOn",
      'got "a"',
    );
  });

  it("refuses a duplicate name at addTask", () => {
    const wf = new Workflow("dupes");
    wf.addTask(task("load", noop));
    const error = thrown(() => wf.addTask(new Task("load", noop)));
    expect(error).toBeInstanceOf(DuplicateTaskError);
    expect(error).toMatchObject({ code: "DUPLICATE_TASK", taskName: "load" });
    expect(error.message).toContain('"dupes"');
    expect(error.message).toContain('"load"');
    expect(wf.tasks).toHaveLength(1);
  });

  it("leaves the workflow as it was when addTask refuses a task", () => {
    const wf = new Workflow("unchanged");
    const first = wf.addTask(task("load", noop));
    wf.addTask(task("report", noop), { dependsOn: ["load"] });
    thrown(() => wf.addTask(task("load", noop), { dependsOn: ["report"] }));
    expect(wf.getTask("load")).toBe(first);
    thrown(() => wf.addTask(task("late", noop), js({ dependsOn: ["load", 7] })));
    expect(wf.hasTask("late")).toBe(false);
    wf.addTask(task("late", noop), { dependsOn: ["report", "load", "report"] });
    expect(wf.tasks.map((node) => node.name)).toEqual(["load", "report", "late"]);
    expect(wf.dependenciesOf("report")).toEqual(["load"]);
    expect(wf.dependenciesOf("late")).toEqual(["report", "load"]);
    expect(wf.dependenciesOf("load")).toEqual([]);
    wf.validate();
  });

  it("refuses a Task instance already in another workflow, but takes a task() callable twice", () => {
    const node = new Task("shared", noop);
    new Workflow("first").addTask(node);
    const error = thrown(() => new Workflow("second").addTask(node));
    expectConfigError(error, 'Task "shared"', "another workflow", "task()");

    const callable = task("reused", noop);
    const a = new Workflow("a").addTask(callable);
    const b = new Workflow("b").addTask(callable);
    expect(a).not.toBe(b);
  });

  it("names the unknown task getTask() was asked for, and lists the known ones", () => {
    const wf = new Workflow("lookup");
    wf.addTask(task("present", noop));
    const error = thrown(() => wf.getTask("absent"));
    expect(error).toMatchObject({ code: "UNKNOWN_TASK" });
    expect(error.message).toContain('"absent"');
    expect(error.message).toContain("present");
  });
});

describe("executors", () => {
  it.each([
    ["maxConcurrent", 0, "got 0"],
    ["maxConcurrent", -2, "got -2"],
    ["maxConcurrent", 2.5, "got 2.5"],
    ["maxConcurrent", "4", 'got "4"'],
  ])("AsyncExecutor refuses %s: %j", (option, value, shown) => {
    const error = thrown(() => new AsyncExecutor(js({ [option]: value })));
    expectConfigError(error, "AsyncExecutor", `"${option}"`, ">= 1", shown);
  });

  it.each<[string, unknown, ...string[]]>([
    ["stateStore", {}, "state store", "got an object {}"],
    ["logger", console.log, "debug, info, warn and error", "got a function (log)"],
    ["logger", { info: noop }, "debug, info, warn and error", "got an object"],
  ])("refuses option %s: %j", (option, value, ...fragments) => {
    for (const Kind of [SequentialExecutor, AsyncExecutor]) {
      const error = thrown(() => new Kind(js({ [option]: value })));
      expectConfigError(error, Kind.name, `"${option}"`, ...fragments);
    }
  });

  it.each([
    ["maxConcurent", SequentialExecutor],
    ["maxConcurent", AsyncExecutor],
    ["store", AsyncExecutor],
  ] as const)("refuses unknown option %s of %o", (option, Kind) => {
    const error = thrown(() => new Kind(js({ [option]: 3 })));
    expectConfigError(error, Kind.name, `unknown option "${option}"`);
  });

  it("refuses options that are not an object", () => {
    expectConfigError(
      thrown(() => new SequentialExecutor(js(4))),
      "options object",
      "got 4",
    );
  });

  it("refuses a listener that is not a function", () => {
    const executor = new SequentialExecutor({ logger: silentLogger });
    expectConfigError(
      thrown(() => executor.on("task:start", js("log"))),
      'on("task:start"',
      'got "log"',
    );
  });
});

describe("execute()", () => {
  const executor = new SequentialExecutor({ logger: silentLogger });
  const wf = new Workflow("execute_args");
  wf.addTask(task("only", noop));

  it.each<[string, unknown, ...string[]]>([
    ["a plain object", {}, "execute() takes a Workflow", "got an object {}"],
    ["nothing", undefined, "execute() takes a Workflow", "got undefined"],
  ])("refuses %s instead of a workflow", async (_, given, ...fragments) => {
    const error = await executor.execute(js(given)).then(
      () => new Error("resolved"),
      (e: Error) => e,
    );
    expectConfigError(error, ...fragments);
  });

  it.each<[string, unknown, ...string[]]>([
    ["runKey", 5, '"runKey"', "got 5"],
    ["runKey", "", '"runKey"', 'got ""'],
    ["params", "x=1", '"params"', 'got "x=1"'],
    ["params", [1], '"params"', "got an array [1]"],
    ["signal", {}, '"signal"', "AbortSignal", "got an object {}"],
    ["failFast", "yes", '"failFast"', 'got "yes"'],
    ["runkey", "today", 'unknown option "runkey"', "runKey"],
  ])("refuses execute option %s: %j", async (option, value, ...fragments) => {
    const error = await executor.execute(wf, js({ [option]: value })).then(
      () => new Error("resolved"),
      (e: Error) => e,
    );
    expectConfigError(error, "execute", ...fragments);
    // A refused call leaves the workflow free to run.
    expect((await executor.execute(wf)).status).toBe("COMPLETED");
  });

  it("refuses options that are not an object", async () => {
    await expect(executor.execute(wf, js("fast"))).rejects.toThrow(
      /options must be an object.*got "fast"/,
    );
  });
});
