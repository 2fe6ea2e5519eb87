import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import {
  PORTFOLIOS,
  workflow as riskWorkflow,
  simulate,
} from "../../examples/threaded_choose_executor.js";
import {
  cpuBoundWorkers,
  workflow as mandelbrot,
  renderBand,
} from "../../examples/threaded_pool_size.js";
import {
  chunksOf,
  mergedNode,
  sharedCounts,
  sharedNode,
  sharedWorkflow,
  totalWords,
  workflow as wordCount,
} from "../../examples/threaded_thread_safety.js";
import { SequentialExecutor, silentLogger, ThreadedExecutor } from "../../src/index.js";

const TSX_CLI = createRequire(import.meta.url).resolve("tsx/cli");
const opened: ThreadedExecutor[] = [];

function threaded(maxWorkers: number): ThreadedExecutor {
  const executor = new ThreadedExecutor({ maxWorkers, logger: silentLogger });
  opened.push(executor);
  return executor;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((executor) => executor.close()));
});

describe("examples/threaded_choose_executor.ts (Choose Right Executor: CPU-bound on threads)", () => {
  it("computes on worker threads exactly what it computes on the main thread", async () => {
    const params = { paths: 400 };
    await new SequentialExecutor().execute(riskWorkflow, { params });
    const inline = riskWorkflow.getTask("summarize_risk").result;
    const run = await threaded(2).execute(riskWorkflow, { params });
    expect(run.status).toBe("COMPLETED");
    expect(riskWorkflow.getTask("summarize_risk").result).toEqual(inline);
    expect(inline).toMatchObject({ safest: "bonds", riskiest: "emerging" });
  });

  it("simulates a portfolio deterministically from its seed", () => {
    const equities = PORTFOLIOS[2];
    if (!equities) throw new Error("no equities portfolio");
    const report = simulate(equities, 300, 7);
    expect(simulate(equities, 300, 7)).toEqual(report);
    expect(report.valueAtRisk95).toBeGreaterThan(0);
  });
});

describe("examples/threaded_pool_size.ts (Optimize Thread Pool Size)", () => {
  it("renders the same image whatever the pool size, never using more threads than maxWorkers", async () => {
    const params = { size: 64 };
    const results = [];
    for (const maxWorkers of [1, 3]) {
      const executor = threaded(maxWorkers);
      await executor.execute(mandelbrot, { params });
      expect(executor.threads).toBeLessThanOrEqual(maxWorkers);
      results.push(mandelbrot.getTask("join_bands").result);
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({ pixels: 64 * 64 });
    expect(renderBand(0, 64).reduce((a, b) => a + b, 0)).toBe((64 * 64) / 8);
  });

  it("sizes a CPU-bound pool by the cores available", () => {
    expect(cpuBoundWorkers()).toBe(availableParallelism());
  });
});

describe("examples/threaded_thread_safety.ts (Concurrency & Thread Safety)", () => {
  const text = "one two two three three three four four four four five five five five five";

  it("merges counts returned by each task (the XCom pattern) into the exact total", async () => {
    await threaded(4).execute(wordCount, { params: { chunks: chunksOf(text) } });
    const merged = mergedNode.result;
    expect(merged).toBeInstanceOf(Map);
    expect(merged && totalWords(merged)).toBe(15);
    expect(merged?.get("five")).toBe(5);
  });

  it("shows that a module-level Map is not shared between threads", async () => {
    // Four chunk tasks start at once on four fresh threads; each updates its own copy.
    await threaded(4).execute(sharedWorkflow, { params: { chunks: chunksOf(text) } });
    const seen = sharedNode.result;
    expect(seen).toBeInstanceOf(Map);
    expect(seen && totalWords(seen)).toBeGreaterThan(0);
    expect(seen && totalWords(seen)).toBeLessThan(15);
    expect(sharedCounts.size).toBe(0);
  });

  it("runs as a script under tsx: the workers import it without running it again", () => {
    const script = fileURLToPath(
      new URL("../../examples/threaded_thread_safety.ts", import.meta.url),
    );
    const child = spawnSync(process.execPath, [TSX_CLI, script], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const lines = child.stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('good: merged counts of 40 words, "the" ×4');
    expect(lines[1]).toMatch(
      /^bad: {2}read_shared saw \d+ of 40 words \(only its own thread's copy\); the main thread's sharedCounts holds 0 words$/,
    );
  });
});
