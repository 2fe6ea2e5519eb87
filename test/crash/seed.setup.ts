import { randomInt } from "node:crypto";
import type { TestProject } from "vitest/node";
import { parseSeed } from "./dag.js";

declare module "vitest" {
  export interface ProvidedContext {
    crashSeed: number;
  }
}

/** Picks the suite's one seed (or takes FW_CRASH_SEED) and prints how to replay it. */
export default function setup(project: TestProject): void {
  const given = process.env.FW_CRASH_SEED;
  const seed = given !== undefined && given !== "" ? parseSeed(given) : randomInt(2 ** 31);
  process.stdout.write(
    `crash suite seed ${seed} (replay: FW_CRASH_SEED=${seed} npm run test:crash)\n`,
  );
  project.provide("crashSeed", seed);
}
