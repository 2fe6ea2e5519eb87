import { describe, expect, it } from "vitest";
import { SequentialExecutor, Workflow, task } from "../../src/index.js";

describe("smoke", () => {
  it("runs a two-task workflow and hands results by name", async () => {
    const wf = new Workflow("smoke");
    const a = task("a", () => 1);
    const b = task("b", ({ a }: { a: number }) => a + 1);
    wf.addTask(a);
    wf.addTask(b, { dependsOn: [a] });
    const run = await new SequentialExecutor().execute(wf);
    expect(run.status).toBe("COMPLETED");
    expect(wf.getTask("b").result).toBe(2);
  });
});
