import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  ensureBuilt,
  finished,
  fixture,
  runCli,
  scratchDir,
  startCli,
  waitForLine,
} from "./support/cli.js";

beforeAll(ensureBuilt);

let dir: ReturnType<typeof scratchDir>;
let sideLog: string;
beforeEach(() => {
  dir = scratchDir();
  sideLog = join(dir.path, "side.log");
});
afterEach(() => dir.remove());

const sideEvents = () => readFileSync(sideLog, "utf8").trim().split("\n");

describe.each(["SIGINT", "SIGTERM"] as const)("%s during a run", (signal) => {
  it("aborts running tasks, keeps finished ones, exits 130; the same command resumes", async () => {
    const args = ["run", fixture("interruptible.ts"), "--state", "json:state.json"];
    const child = startCli([...args, "--fresh"], {
      cwd: dir.path,
      env: { FW_SIDE_LOG: sideLog, FW_BLOCK: "1" },
    });
    const done = finished(child);
    // The plain output's own line says the blocking task is in flight.
    await waitForLine(child, /^\[\+[\d.]+s\] start {3}blocker/);
    child.kill(signal);
    const first = await done;

    expect(first.code).toBe(130);
    expect(first.stdout).toContain(`${signal} received: stopping`);
    expect(first.stdout).toMatch(/stopped blocker .*the run was cancelled/);
    expect(first.stdout).toMatch(/skipped last \(blocker was stopped\)/);
    expect(first.stdout).toContain("completed 1 · resumed from store 0 · failed 0 · stopped 1");
    // The resume command is the same command, without --fresh.
    expect(first.stderr).toContain(`Interrupted by ${signal}.`);
    expect(first.stderr).toContain(
      `flowweaver ${args.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}\n`,
    );
    expect(sideEvents()).toEqual(["run:first", "start:blocker"]);

    const second = await runCli(args, { cwd: dir.path, env: { FW_SIDE_LOG: sideLog } });
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/resumed first \(from store: 1 attempt/);
    expect(second.stdout).toContain("completed 2 · resumed from store 1");
    const events = sideEvents();
    // No task that completed ran twice; the interrupted one ran again, to the end.
    expect(events.filter((e) => e === "run:first")).toHaveLength(1);
    expect(events.slice(2)).toEqual(["start:blocker", "run:blocker", "run:last"]);
  });
});
