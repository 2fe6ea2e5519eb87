import fs from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { envInt, showTiming } from "./harness.js";
import { resumeScenario } from "./resume-scenario.js";
import { STORE_KINDS } from "./stores.js";

const seed = inject("crashSeed");
const kills = envInt("FW_CRASH_KILLS", 30);
const size = envInt("FW_CRASH_TASKS", 400);

describe("kill -9 at random moments, then resume", () => {
  for (const kind of STORE_KINDS) {
    it(`${kind}: ${kills} kills of a ${size}-task run; no stored completion runs again`, async () => {
      const report = await resumeScenario({ kind, seed, kills, size });
      console.log(
        `[crash] ${kind} seed=${seed}: ${report.kills} kills (opening the store ${report.landed.opening}, before the run was stored ${report.landed.beforeRunStored}, before its first completion ${report.landed.beforeFirstCompletion}, while running ${report.landed.running}; ${report.killsBeforeFirstCompletion} with no completion stored), ${report.rounds} rounds, ${report.childRuns} child runs, ${report.repeatedRuns} task runs repeated (at most ${report.maxLostPerKill} per kill)${kind === "json" ? `, ${report.tornTails} torn tails, ${report.compactions} child runs compacted the journal, ${report.killsInCompaction} kills mid-compaction` : ""}, crash-free run: ${showTiming(report.timing)}`,
      );
      expect(report.problems).toEqual([]);
      expect(report.kills).toBe(kills);
    });
  }

  it("catches a store that loses stored completions (the harness's own check)", async () => {
    // The first child dies after 30 completions; the next one, on a store that hides every
    // fifth of them, runs those again: the suite must say so.
    const report = await resumeScenario({
      kind: "sqlite",
      seed,
      kills: 1,
      size: 120,
      fault: "forget-completions",
      selfKillAfter: 30,
    });
    if (report.keptDir) fs.rmSync(report.keptDir, { recursive: true, force: true });
    expect(report.problems.some((p) => p.includes("ran again although its completion"))).toBe(true);
  });
});
