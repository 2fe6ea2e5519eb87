import { describe, expect, inject, it } from "vitest";
import { creationScenario } from "./creation-scenario.js";
import { envInt, showTiming } from "./harness.js";
import { STORE_KINDS } from "./stores.js";

const seed = inject("crashSeed");
const iterations = envInt("FW_CRASH_CREATION_KILLS", 15);

describe("kill -9 while a store is first created", () => {
  for (const kind of STORE_KINDS) {
    it(`${kind}: ${iterations} kills in fresh directories; every store left behind opens and resumes`, async () => {
      const report = await creationScenario(kind, seed, iterations, 40);
      const { noFile, noCompletion, someCompleted } = report.outcomes;
      console.log(
        `[crash] ${kind} creation seed=${seed}: ${report.kills} kills (in the store's constructor ${report.landed.inConstructor}, before the run was stored ${report.landed.beforeRunStored}, later ${report.landed.later}; ${report.landed.missed} runs ended first); left no file ${noFile}, a store without completions ${noCompletion}, a store with completions ${someCompleted}; crash-free run: ${showTiming(report.timing)}`,
      );
      expect(report.problems).toEqual([]);
    });
  }
});
