import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ESCAPE, ensureBuilt, fixture, runCli, scratchDir } from "./support/cli.js";

beforeAll(ensureBuilt);

let dir: ReturnType<typeof scratchDir>;
let sideLog: string;
beforeEach(() => {
  dir = scratchDir();
  sideLog = join(dir.path, "side.log");
});
afterEach(() => dir.remove());

const sideEvents = () =>
  existsSync(sideLog) ? readFileSync(sideLog, "utf8").trim().split("\n") : [];
const run = (args: readonly string[], env: Record<string, string> = {}) =>
  runCli(["run", ...args], { cwd: dir.path, env: { FW_SIDE_LOG: sideLog, ...env } });

describe("flowweaver run", () => {
  it("runs a .ts workflow file into the default SQLite store and exits 0", async () => {
    const result = await run([fixture("pipeline.ts")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(existsSync(join(dir.path, ".flowweaver/state.db"))).toBe(true);
    expect(sideEvents()).toEqual([
      "run:extract",
      "run:transform:1",
      "run:transform:2",
      "run:load",
      "params:{}",
      "runKey:default",
    ]);
  });

  it("prints one plain line per state change when stdout is not a terminal", async () => {
    const { code, stdout } = await run([fixture("pipeline.ts"), "--state", "memory:"]);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(ESCAPE);
    const changes = stdout
      .split("\n")
      .filter((line) => line.startsWith("[+"))
      .map((line) => line.replace(/^\[\+[\d.]+s\] /, "").replace(/ \(.*$/, ""));
    expect(changes).toEqual([
      "start   extract",
      "done    extract",
      "start   transform",
      "retry   transform",
      "start   transform",
      "done    transform",
      "start   load",
      "done    load",
    ]);
    expect(stdout).toContain("info    extract: extracted rows rows=3");
    expect(stdout).toMatch(/✔ cli_pipeline completed in .* \(run [0-9a-f-]{36}\)/);
    expect(stdout).toContain("completed 3 · resumed from store 0 · failed 0 · skipped 0 · 3 tasks");
  });

  it("resumes from the store: a second run restores every task and runs none", async () => {
    expect((await run([fixture("pipeline.ts")])).code).toBe(0);
    const second = await run([fixture("pipeline.ts")]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/resumed extract \(from store: 1 attempt/);
    expect(second.stdout).toMatch(/resumed transform \(from store: 2 attempts/);
    expect(second.stdout).toContain("completed 0 · resumed from store 3");
    expect(sideEvents().filter((e) => e === "run:extract")).toHaveLength(1);
  });

  it("--fresh clears the workflow's state first, so every task runs again", async () => {
    await run([fixture("pipeline.ts")]);
    const again = await run([fixture("pipeline.ts"), "--fresh"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("completed 3 · resumed from store 0");
    expect(sideEvents().filter((e) => e === "run:extract")).toHaveLength(2);
  });

  it("passes --param to ctx.params and --run-key to the state partition", async () => {
    const args = [fixture("pipeline.ts"), "--param", "date=2026-11-25", "--param", "mode=full"];
    expect((await run([...args, "--run-key", "2026-11-25"])).code).toBe(0);
    expect(sideEvents()).toContain('params:{"date":"2026-11-25","mode":"full"}');
    expect(sideEvents()).toContain("runKey:2026-11-25");
    // Another run key is another partition: it starts fresh.
    const other = await run([...args, "--run-key", "2026-11-26"]);
    expect(other.stdout).toContain("completed 3 · resumed from store 0");
  });

  it("exits 1 when a task fails, skipping its dependents and finishing the other branch", async () => {
    const { code, stdout, stderr } = await run([fixture("failing.ts")]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/done {4}independent/);
    expect(stdout).toMatch(/failed {2}broken \(1 attempt, .*\): database unreachable/);
    expect(stdout).toMatch(/skipped after_broken \(broken failed\)/);
    expect(stdout).toMatch(/skipped after_after \(broken failed\)/);
    expect(stdout).toContain("completed 1 · resumed from store 0 · failed 1 · skipped 2 · 4 tasks");
    expect(stdout).toMatch(/✖ broken: database unreachable\n\s+at .*failing\.ts:\d+:\d+/);
    expect(stderr).toContain("run the same command");
  });

  it("runs a .mjs workflow exported as `workflow` on the async executor", async () => {
    const result = await run([
      fixture("pipeline.mjs"),
      "--executor",
      "async",
      "--concurrency",
      "4",
      "--state",
      "memory:",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("async executor");
    expect(sideEvents()).toEqual(["run:hello", "run:world"]);
  });

  it("runs a .ts workflow on worker threads, the CLI telling workers which module to import", async () => {
    // pipeline.ts gives its Workflow no `module`: the CLI sets it to the file's URL.
    const args = [fixture("pipeline.ts"), "--executor", "threaded", "--concurrency", "2"];
    const result = await run([...args, "--state", "memory:"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("threaded executor");
    expect(result.stdout).toContain("completed 3 · resumed from store 0 · failed 0 · skipped 0");
    expect(sideEvents()).toContain("run:load");
  });

  it("--workflow picks one workflow of a file that exports several", async () => {
    const result = await run([fixture("two-workflows.mjs"), "--workflow", "cli_beta"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("running cli_beta (1 task)");
    expect(result.stdout).toContain("beta_task");
  });

  it("--json prints one JSON object per line, nothing else on stdout", async () => {
    const { code, stdout } = await run([fixture("pipeline.ts"), "--json", "--state", "memory:"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const event of events) {
      expect(event).toMatchObject({ workflow: "cli_pipeline", runKey: "default" });
      expect(typeof event.runId).toBe("string");
      expect(Number.isNaN(Date.parse(String(event.time)))).toBe(false);
    }
    expect(events.map((e) => [e.event, e.task, e.attempt])).toEqual([
      ["run:start", undefined, undefined],
      ["task:start", "extract", 1],
      ["log", "extract", 1],
      ["console", undefined, undefined],
      ["task:complete", "extract", 1],
      ["task:start", "transform", 1],
      ["task:retry", "transform", 1],
      ["task:start", "transform", 2],
      ["task:complete", "transform", 2],
      ["task:start", "load", 1],
      ["task:complete", "load", 1],
      ["run:finish", undefined, undefined],
    ]);
    expect(events[2]).toMatchObject({ level: "info", msg: "extracted rows", fields: { rows: 3 } });
    expect(events[3]).toMatchObject({ msg: "console output from extract" });
    expect(events[6]).toMatchObject({ error: { message: "flaky on the first attempt" } });
    expect(events.at(-1)).toMatchObject({ status: "COMPLETED", completed: 3, total: 3 });
  });

  it("--json reports skipped and restored tasks as events too", async () => {
    const failed = await run([fixture("failing.ts"), "--json"]);
    expect(failed.code).toBe(1);
    const events = failed.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.filter((e) => e.event === "task:skip").map((e) => e.task)).toEqual([
      "after_broken",
      "after_after",
    ]);
    expect(events.find((e) => e.event === "task:error")).toMatchObject({
      task: "broken",
      status: "failed",
      error: { name: "Error", message: "database unreachable" },
    });
    const again = await run([fixture("failing.ts"), "--json"]);
    const restored = again.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.event === "task:restore");
    expect(restored.map((e) => e.task)).toEqual(["independent"]);
  });
});
