/**
 * Typed data flow, checked by the compiler (`vitest run --typecheck`, and `tsc`): task
 * objects in `dependsOn` must provide every input the task declares, with compatible
 * types; names given as strings stay unchecked.
 */
import { describe, expectTypeOf, it } from "vitest";
import {
  type AnyTask,
  Task,
  type TaskContext,
  TaskStatus,
  task,
  Workflow,
} from "../../src/index.js";

const rows = task("rows", () => [{ id: 1, email: "a@example.com" }]);
const count = task("count", async () => 3);
const label = task("label", () => "customers");
const rowsAsText = task("rows", () => "not rows");

const report = task(
  "report",
  ({ rows, count }: { rows: { id: number; email: string }[]; count: number }) =>
    `${rows.length} of ${count}`,
);
const noInputs = task("no_inputs", () => 42);

describe("dependsOn with task objects", () => {
  it("compiles when the dependencies provide every input with its type", () => {
    const wf = new Workflow("types");
    wf.addTask(report, { dependsOn: [rows, count] });
    // Extra dependencies are fine: they are simply not read.
    wf.addTask(report, { dependsOn: [rows, count, label] });
    // Order does not matter.
    wf.addTask(report, { dependsOn: [count, rows] });
  });

  it("refuses a missing input", () => {
    const wf = new Workflow("types");
    // @ts-expect-error `count` is missing
    wf.addTask(report, { dependsOn: [rows] });
    // @ts-expect-error both inputs are missing
    wf.addTask(report, { dependsOn: [label] });
    // @ts-expect-error no dependencies at all for a task with inputs
    wf.addTask(report, { dependsOn: [] });
  });

  it("refuses an input of the wrong type", () => {
    const wf = new Workflow("types");
    // @ts-expect-error `rows` gives a string, not rows
    wf.addTask(report, { dependsOn: [rowsAsText, count] });
  });

  it("checks Task instances like task() callables", () => {
    const wf = new Workflow("types");
    const rowsNode = new Task("rows", () => [{ id: 2, email: "b@example.com" }]);
    const countNode = new Task("count", () => 1);
    wf.addTask(report, { dependsOn: [rowsNode, countNode] });
    // @ts-expect-error `count` is missing
    wf.addTask(report, { dependsOn: [rowsNode] });
    const textNode = new Task("count", () => "three");
    // @ts-expect-error `count` gives a string
    wf.addTask(report, { dependsOn: [rowsNode, textNode] });
  });

  it("hands a promise's value, not the promise", () => {
    const wf = new Workflow("types");
    const doubled = task("doubled", ({ count }: { count: number }) => count * 2);
    wf.addTask(doubled, { dependsOn: [count] });
  });
});

describe("unchecked dependencies", () => {
  it("compiles string names whatever the task declares", () => {
    const wf = new Workflow("types");
    wf.addTask(report, { dependsOn: ["rows", "count"] });
    wf.addTask(report, { dependsOn: ["anything"] });
    // @ts-expect-error a task that declares inputs needs dependsOn
    wf.addTask(report);
  });

  it("lets a task without inputs take any dependsOn", () => {
    const wf = new Workflow("types");
    wf.addTask(noInputs, { dependsOn: [rows, label] });
    wf.addTask(noInputs, { dependsOn: ["rows"] });
    wf.addTask(noInputs, { dependsOn: [] });
    wf.addTask(noInputs);
  });

  it("leaves tasks named by their function unchecked: the name is not a literal type", () => {
    const fromFunction = task(function rows() {
      return "anything";
    });
    expectTypeOf(fromFunction.taskName).toEqualTypeOf<string>();
    const wf = new Workflow("types");
    wf.addTask(report, { dependsOn: [fromFunction, count] });
  });
});

describe("task() callables", () => {
  it("are callable with their inputs and return their result type", () => {
    expectTypeOf(report).toBeCallableWith({ rows: [{ id: 1, email: "x" }], count: 1 });
    expectTypeOf(report({ rows: [], count: 0 })).toEqualTypeOf<string | Promise<string>>();
    expectTypeOf(count()).toEqualTypeOf<number | Promise<number>>();
    expectTypeOf<Awaited<ReturnType<typeof report>>>().toEqualTypeOf<string>();
    expectTypeOf(noInputs).toBeCallableWith();
    expectTypeOf(report.taskName).toEqualTypeOf<"report">();
    // @ts-expect-error inputs are required when the task declares some
    report();
    // @ts-expect-error wrong input type
    report({ rows: "x", count: 1 });
  });

  it("take a partial context", () => {
    const ctxTask = task("ctx", (_inputs: unknown, ctx: TaskContext) => ctx.attempt);
    expectTypeOf(ctxTask).toBeCallableWith({}, { attempt: 2 });
  });

  it("become typed nodes when added", () => {
    const wf = new Workflow("types");
    const node = wf.addTask(report, { dependsOn: [rows, count] });
    expectTypeOf(node).toEqualTypeOf<
      Task<{ rows: { id: number; email: string }[]; count: number }, string, "report">
    >();
    expectTypeOf(node.result).toEqualTypeOf<string | undefined>();
    expectTypeOf(node.name).toEqualTypeOf<"report">();
    expectTypeOf(wf.getTask("report")).toEqualTypeOf<AnyTask>();
  });
});

describe("TaskStatus", () => {
  it("has each value equal to its name", () => {
    expectTypeOf(TaskStatus.PENDING).toEqualTypeOf<"PENDING">();
    expectTypeOf(TaskStatus.RUNNING).toEqualTypeOf<"RUNNING">();
    expectTypeOf(TaskStatus.COMPLETED).toEqualTypeOf<"COMPLETED">();
    expectTypeOf(TaskStatus.FAILED).toEqualTypeOf<"FAILED">();
    expectTypeOf(TaskStatus.SKIPPED).toEqualTypeOf<"SKIPPED">();
    expectTypeOf<TaskStatus>().toEqualTypeOf<
      "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "SKIPPED"
    >();
  });
});
