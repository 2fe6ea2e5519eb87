import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, ESCAPE, ensureBuilt, fixture, runCli, scratchDir } from "./support/cli.js";

let dir: ReturnType<typeof scratchDir>;
const cli = (...args: string[]) => runCli(args, { cwd: dir.path });

beforeAll(async () => {
  ensureBuilt();
  dir = scratchDir();
  // One store, two workflows: one completed (with a retry), one failed.
  expect((await cli("run", fixture("pipeline.ts"))).code).toBe(0);
  expect((await cli("run", fixture("failing.ts"))).code).toBe(1);
});
afterAll(() => dir.remove());

describe("flowweaver status", () => {
  it("shows each task's stored status, attempts, duration and last error", async () => {
    const { code, stdout } = await cli("status");
    expect(code).toBe(0);
    expect(stdout).not.toMatch(ESCAPE);
    expect(stdout).toContain(
      "cli_failing (run key default): 4 tasks, 1 completed, 1 failed, 2 skipped",
    );
    expect(stdout).toMatch(/TASK +STATUS +ATTEMPTS +DURATION +LAST ERROR/);
    expect(stdout).toMatch(/broken +FAILED +1 +\S+ +database unreachable/);
    expect(stdout).toMatch(/after_broken +SKIPPED +0/);
    expect(stdout).toContain("cli_pipeline (run key default): 3 tasks, 3 completed");
    expect(stdout).toMatch(/transform +COMPLETED +2 +\S+/);
  });

  it("narrows to one workflow and run key, and says when there is nothing", async () => {
    const one = await cli("status", "cli_pipeline");
    expect(one.stdout).toContain("cli_pipeline");
    expect(one.stdout).not.toContain("cli_failing");
    const otherKey = await cli("status", "cli_pipeline", "--run-key", "2026-11-25");
    expect(otherKey.code).toBe(0);
    expect(otherKey.stdout).toMatch(
      /holds nothing for workflow "cli_pipeline" with run key "2026-11-25"\. Stored workflows: cli_failing, cli_pipeline\./,
    );
    const elsewhere = await cli("status", "--state", "sqlite:other/state.db");
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toContain("No state stored at sqlite:other/state.db yet");
    expect(existsSync(join(dir.path, "other"))).toBe(false);
  });

  it("--json prints the states as one document", async () => {
    const { stdout } = await cli("status", "cli_failing", "--json");
    const doc = JSON.parse(stdout) as {
      partitions: { workflow: string; tasks: { task: string; status: string }[] }[];
    };
    expect(doc.partitions).toHaveLength(1);
    expect(
      Object.fromEntries(doc.partitions[0]?.tasks.map((t) => [t.task, t.status]) ?? []),
    ).toEqual({
      independent: "COMPLETED",
      broken: "FAILED",
      after_broken: "SKIPPED",
      after_after: "SKIPPED",
    });
  });
});

describe("flowweaver history", () => {
  it("lists recent runs, newest first, with status and duration", async () => {
    const { code, stdout } = await cli("history");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^RUN ID +WORKFLOW +RUN KEY +STATUS +STARTED +DURATION$/);
    expect(lines[1]).toMatch(
      /^[0-9a-f-]{36} +cli_failing +default +FAILED +\d{4}-\d\d-\d\d [\d:]{8} +\S+$/,
    );
    expect(lines[2]).toMatch(/^[0-9a-f-]{36} +cli_pipeline +default +COMPLETED /);
    const limited = await cli("history", "--limit", "1");
    expect(limited.stdout).not.toContain("cli_pipeline");
    const one = await cli("history", "cli_pipeline");
    expect(one.stdout).not.toContain("cli_failing");
  });

  it("--run ID (or a unique prefix) shows that run's attempts", async () => {
    const runs = JSON.parse((await cli("history", "cli_pipeline", "--json")).stdout) as {
      runs: { runId: string }[];
    };
    const runId = runs.runs[0]?.runId as string;
    const { code, stdout } = await cli("history", "--run", runId.slice(0, 8));
    expect(code).toBe(0);
    expect(stdout).toContain(`cli_pipeline run ${runId}: COMPLETED`);
    expect(stdout).toMatch(/TASK +ATTEMPT +STATUS +STARTED +DURATION +ERROR/);
    expect(stdout).toMatch(/transform +1 +FAILED +.* flaky on the first attempt/);
    expect(stdout).toMatch(/transform +2 +COMPLETED/);
    const unknown = await cli("history", "--run", "ffffffff");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--run ffffffff: no run with that id");
  });
});

describe("flowweaver graph", () => {
  it("prints the DAG as Mermaid, nodes annotated with stored statuses", async () => {
    const { code, stdout } = await cli("graph", fixture("failing.ts"));
    expect(code).toBe(0);
    expect(stdout).toContain("flowchart LR");
    expect(stdout).toContain('t1["broken<br/><small>FAILED</small>"]:::failed');
    expect(stdout).toContain('t2["after_broken<br/><small>SKIPPED</small>"]:::skipped');
    expect(stdout).toContain("t1 --> t2");
    expect(stdout).toContain("t2 --> t3");
    expect(stdout).toContain("classDef failed");
  });

  it("prints DOT, and plain names when the store has no state for the workflow", async () => {
    const { code, stdout } = await cli("graph", fixture("interruptible.ts"), "--format", "dot");
    expect(code).toBe(0);
    expect(stdout).toContain('digraph "cli_interruptible" {');
    expect(stdout).toContain('"first" [label="first"];');
    expect(stdout).toContain('"first" -> "blocker";');
    expect(stdout).toContain('"blocker" -> "last";');
    expect(stdout).not.toContain('fillcolor="#dcfce7"');
  });

  it("never creates a store just to draw a graph", async () => {
    const empty = scratchDir();
    try {
      const result = await runCli(["graph", fixture("pipeline.ts")], { cwd: empty.path });
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('t0["extract"]');
      expect(existsSync(join(empty.path, ".flowweaver"))).toBe(false);
    } finally {
      empty.remove();
    }
  });
});

describe("flowweaver clear", () => {
  it("asks on a terminal and clears only after a yes; --yes clears without asking", async () => {
    // A pseudo-terminal (util-linux script), so stdin is a TTY and clear asks.
    const answer = (reply: string) =>
      execFileSync("script", ["-qfec", `node ${BIN} clear cli_failing`, "/dev/null"], {
        cwd: dir.path,
        input: `${reply}\n`,
        encoding: "utf8",
      });
    const refused = answer("n");
    expect(refused).toMatch(
      /Delete the state and history of workflow "cli_failing" in sqlite:\.flowweaver\/state\.db\? This cannot be undone\. \[y\/N\]/,
    );
    expect(refused).toContain("Nothing was cleared.");
    expect((await cli("status", "cli_failing")).stdout).toContain("broken");

    expect(answer("y")).toContain('Cleared the state and history of workflow "cli_failing"');
    const after = await cli("status");
    expect(after.stdout).not.toContain("cli_failing");
    expect(after.stdout).toContain("cli_pipeline");
    expect((await cli("history")).stdout).not.toContain("cli_failing");

    const all = await cli("clear", "--yes");
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("Cleared the state and history of every workflow");
    expect((await cli("status")).stdout).toContain("holds no workflow");
  });
});
