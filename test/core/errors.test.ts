import { describe, expect, it } from "vitest";
import {
  ConfigurationError,
  CycleError,
  DuplicateTaskError,
  deserializeError,
  errorCode,
  FlowWeaverError,
  isFlowWeaverError,
  NON_RETRYABLE_CODES,
  NonRetryableError,
  type RunResult,
  SerializationError,
  StoreCorruptError,
  StoreLockedError,
  StoreVersionError,
  serializeError,
  TaskTimeoutError,
  toError,
  UnknownDependencyError,
  WorkflowBusyError,
  WorkflowCancelledError,
  WorkflowFailedError,
} from "../../src/index.js";

const run: RunResult = {
  runId: "run-1",
  workflow: "etl",
  runKey: "default",
  status: "FAILED",
  tasks: {},
  startedAt: new Date(0),
  finishedAt: new Date(1000),
  duration: 1,
};

/** One instance of every error class, with the code it must carry. */
const EVERY_ERROR: readonly [FlowWeaverError, string][] = [
  [new FlowWeaverError("base"), "FLOWWEAVER_ERROR"],
  [new ConfigurationError("bad option", { taskName: "t" }), "INVALID_CONFIGURATION"],
  [new DuplicateTaskError("etl", "load"), "DUPLICATE_TASK"],
  [new UnknownDependencyError("etl", "load", "extract"), "UNKNOWN_DEPENDENCY"],
  [new CycleError("etl", ["a", "b", "a"]), "CYCLE_DETECTED"],
  [new TaskTimeoutError("fetch", 1500, 2), "TASK_TIMEOUT"],
  [new NonRetryableError("bad input"), "NON_RETRYABLE"],
  [
    new SerializationError("cannot store", { taskName: "t", path: "result.fn" }),
    "SERIALIZATION_FAILED",
  ],
  [new WorkflowFailedError(run, ["load"]), "WORKFLOW_FAILED"],
  [new WorkflowCancelledError({ ...run, status: "CANCELLED" }), "WORKFLOW_CANCELLED"],
  [new WorkflowBusyError("etl"), "WORKFLOW_BUSY"],
  [new StoreLockedError("locked", "pid 12 on host"), "STORE_LOCKED"],
  [new StoreCorruptError("/tmp/state.json", "bad marker"), "STORE_CORRUPT"],
  [new StoreVersionError("/tmp/state.db", 9, 1), "STORE_VERSION"],
];

describe("error classes", () => {
  it.each(EVERY_ERROR.map(([error, code]) => [error.constructor.name, error, code] as const))(
    "%s has its name, code and FlowWeaverError as base",
    (name, error, code) => {
      expect(error).toBeInstanceOf(FlowWeaverError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(errorCode(error)).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
      expect(isFlowWeaverError(error)).toBe(true);
      expect(isFlowWeaverError(error, name)).toBe(true);
    },
  );

  it("carries what each error is about", () => {
    expect(new UnknownDependencyError("etl", "load", "extract")).toMatchObject({
      taskName: "load",
      dependency: "extract",
    });
    const cycle = new CycleError("etl", ["a", "b", "c", "a"]);
    expect(cycle.cycle).toEqual(["a", "b", "c", "a"]);
    expect(cycle.message).toContain("a → b → c → a");
    expect(new TaskTimeoutError("fetch", 1500, 2).message).toBe(
      'Task "fetch" timed out after 1.5s (attempt 2).',
    );
    const failed = new WorkflowFailedError(run, ["load", "save"]);
    expect(failed).toMatchObject({ result: run, failedTasks: ["load", "save"], runId: "run-1" });
    expect(failed.message).toContain('2 tasks failed ("load", "save")');
    expect(new StoreLockedError("locked", "pid 12").holder).toBe("pid 12");
    expect(new SerializationError("x", { path: "result.a[0]" }).path).toBe("result.a[0]");
    const cause = new Error("root cause");
    expect(new NonRetryableError("wrapped", { cause }).cause).toBe(cause);
  });

  it("never retries non-retryable, serialization or cancellation codes", () => {
    expect([...NON_RETRYABLE_CODES].sort()).toEqual([
      "CANCELLED",
      "NON_RETRYABLE",
      "SERIALIZATION_FAILED",
    ]);
  });

  it("turns anything thrown into an Error", () => {
    const error = new Error("x");
    expect(toError(error)).toBe(error);
    expect(toError("text").message).toBe("text");
    expect(toError({ code: 1 }).message).toBe('non-Error value thrown: {"code":1}');
    expect(toError(undefined).message).toBe("non-Error value thrown: undefined");
  });
});

describe("serializeError / deserializeError", () => {
  it.each(EVERY_ERROR.map(([error]) => [error.name, error] as const))(
    "round-trips %s as its own class with name, code, message and stack",
    (_, error) => {
      const data = serializeError(error);
      // What crosses a thread or a queue is plain data.
      const copy = deserializeError(JSON.parse(JSON.stringify(data)));
      expect(copy).toBeInstanceOf(error.constructor);
      expect(copy).toBeInstanceOf(FlowWeaverError);
      expect(copy.name).toBe(error.name);
      expect(copy.message).toBe(error.message);
      expect(copy.stack).toBe(error.stack);
      expect((copy as FlowWeaverError).code).toBe(error.code);
      expect((copy as FlowWeaverError).taskName).toBe(error.taskName);
      expect(isFlowWeaverError(copy, error.name)).toBe(true);
    },
  );

  it("keeps a rebuilt NonRetryableError non-retryable by name and code", () => {
    const copy = deserializeError(serializeError(new NonRetryableError("no")));
    expect(copy).toBeInstanceOf(NonRetryableError);
    expect(errorCode(copy)).toBe("NON_RETRYABLE");
  });

  it("round-trips foreign errors with their name, message, stack and code", () => {
    const error = Object.assign(new TypeError("not a number"), { code: "ERR_X" });
    const copy = deserializeError(serializeError(error));
    expect(copy).toBeInstanceOf(Error);
    expect(copy).toMatchObject({ name: "TypeError", message: "not a number", code: "ERR_X" });
    expect(copy.stack).toBe(error.stack);
    expect(isFlowWeaverError(copy)).toBe(false);
  });

  it("serializes non-Error throws", () => {
    expect(serializeError("plain")).toEqual({ name: "Error", message: "plain" });
    expect(serializeError(42)).toEqual({ name: "Error", message: "non-Error value thrown: 42" });
  });

  it("gives a rebuilt error without a stack one that names it", () => {
    const copy = deserializeError({
      name: "WorkflowBusyError",
      message: "busy",
      code: "WORKFLOW_BUSY",
    });
    expect(copy).toBeInstanceOf(WorkflowBusyError);
    expect(copy.stack).toBe("WorkflowBusyError: busy");
  });
});
