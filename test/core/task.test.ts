import { describe, expect, it } from "vitest";
import { Task, TaskStatus, task, Workflow } from "../../src/index.js";

describe("task()", () => {
  it("takes its name from the function, or from the first argument", () => {
    const fromFunction = task(async function extract_from_crm() {
      return [1];
    });
    expect(fromFunction.taskName).toBe("extract_from_crm");
    expect(task("validate_records", () => 1).taskName).toBe("validate_records");
    expect(task(function named() {}, { name: "renamed" }).taskName).toBe("renamed");
  });

  it("stays callable: calling it runs the plain function with its inputs", async () => {
    const transform = task("transform_user", async ({ user }: { user: { name: string } }) =>
      user.name.toUpperCase(),
    );
    expect(await transform({ user: { name: "ada" } })).toBe("ADA");
  });

  it("gives a direct call a default context, overridable in part", async () => {
    const inspect = task("inspect", (_: unknown, ctx) => ({
      attempt: ctx.attempt,
      taskName: ctx.taskName,
      runKey: ctx.runKey,
      params: ctx.params,
      aborted: ctx.signal.aborted,
    }));
    expect(await inspect()).toEqual({
      attempt: 1,
      taskName: "inspect",
      runKey: "default",
      params: {},
      aborted: false,
    });
    expect(await inspect({}, { attempt: 3, params: { region: "eu" } })).toMatchObject({
      attempt: 3,
      params: { region: "eu" },
    });
  });

  it("carries a frozen definition with resolved options", () => {
    const fetch = task("fetch", () => 1, { retries: 2, timeout: "30s", description: "Fetch" });
    expect(Object.isFrozen(fetch.definition)).toBe(true);
    expect(fetch.definition.options).toMatchObject({ retries: 2, timeoutMs: 30_000 });
    expect(fetch.definition.options.description).toBe("Fetch");
  });
});

describe("Task", () => {
  it("is a node with the state of the last run, PENDING before any", () => {
    const node = new Task("fetch_raw_customer_data", () => 1, { description: "raw rows" });
    expect(node.name).toBe("fetch_raw_customer_data");
    expect(node.description).toBe("raw rows");
    expect(node).toMatchObject({ status: "PENDING", attempts: 0, restored: false });
    expect(node.result).toBeUndefined();
    expect(node.error).toBeUndefined();
    expect(node.duration).toBeUndefined();
  });

  it("runs its plain function for unit tests", async () => {
    const node = new Task("add", ({ a, b }: { a: number; b: number }) => a + b);
    expect(await node.run({ a: 1, b: 2 })).toBe(3);
  });

  it("has statuses whose values are their names", () => {
    for (const [key, value] of Object.entries(TaskStatus)) expect(value).toBe(key);
    expect(Object.keys(TaskStatus)).toEqual([
      "PENDING",
      "RUNNING",
      "COMPLETED",
      "FAILED",
      "SKIPPED",
    ]);
  });
});

describe("Workflow", () => {
  it("keeps one node per task in insertion order, by name", () => {
    const wf = new Workflow({ name: "customer_data_etl", description: "CRM → warehouse" });
    expect(wf).toMatchObject({ name: "customer_data_etl", description: "CRM → warehouse" });
    const extract = task("extract", () => 1);
    const node = new Task("load", () => 2);
    const extractNode = wf.addTask(extract);
    const loadNode = wf.addTask(node, { dependsOn: [extract, "extract"] });
    expect(loadNode).toBe(node);
    expect(extractNode).toBeInstanceOf(Task);
    expect(wf.tasks).toEqual([extractNode, node]);
    expect(wf.getTask("extract")).toBe(extractNode);
    expect(wf.hasTask("load")).toBe(true);
    expect(wf.hasTask("nope")).toBe(false);
    // Duplicates in dependsOn collapse to one dependency.
    expect(wf.dependenciesOf("load")).toEqual(["extract"]);
    expect(() => wf.validate()).not.toThrow();
    expect(new Workflow("by_name").name).toBe("by_name");
  });

  it("gives a task() callable a fresh node in every workflow", () => {
    const shared = task("shared", () => 1);
    const a = new Workflow("a").addTask(shared);
    const b = new Workflow("b").addTask(shared);
    expect(a).not.toBe(b);
    expect(a.definition).toBe(b.definition);
  });

  it("lets the same Task instance be added to its own workflow's lookups only once", () => {
    const wf = new Workflow("once");
    const node = new Task("only", () => 1);
    wf.addTask(node);
    expect(() => wf.addTask(node)).toThrow(/already has a task named "only"/);
  });
});
