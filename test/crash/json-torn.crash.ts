import { describe, expect, inject, it } from "vitest";
import { tornTailScenario } from "./torn-scenario.js";

const seed = inject("crashSeed");

describe("JSON store: a torn last record", () => {
  it("is dropped on open, and the next run appends cleanly after it", async () => {
    const report = await tornTailScenario(seed, 150);
    console.log(
      `[crash] json torn tail seed=${seed}: ${report.tears} tears dropped ${report.droppedCompletions} completions; journal lines ${report.jsonLines ? "all JSON" : "not JSON lines (line check skipped)"}`,
    );
    expect(report.problems).toEqual([]);
    expect(report.tears).toBe(6);
  });
});
