import fs from "node:fs";
import path from "node:path";
import { AsyncExecutor, silentLogger } from "../../src/index.js";
import { type CrashDag, makeDag, prng } from "./dag.js";
import {
  type ChildTiming,
  childTiming,
  describeError,
  type Inspection,
  inspectStore,
  listFiles,
  runChild,
  subSeed,
  tempDir,
} from "./harness.js";
import { openStore, type StoreKind, storeFile } from "./stores.js";
import { buildWorkflow, wrongResults } from "./workflow.js";

export interface CreationReport {
  readonly kind: StoreKind;
  readonly seed: number;
  readonly kills: number;
  /** What each kill left behind: no file, a store with no completion yet, or some. */
  readonly outcomes: { noFile: number; noCompletion: number; someCompleted: number };
  /** Where the kills landed, by what the child had reported. */
  readonly landed: {
    inConstructor: number;
    beforeRunStored: number;
    later: number;
    missed: number;
  };
  /** The crash-free child's phases, in ms after `ready`. */
  readonly timing: ChildTiming | undefined;
  readonly problems: readonly string[];
}

/**
 * Kills a child within milliseconds of creating a store in a fresh directory, again and
 * again: whatever each kill leaves must open, read, and then carry a full run in this
 * process that re-runs no stored completion and ends with the right results.
 */
export async function creationScenario(
  kind: StoreKind,
  seed: number,
  iterations: number,
  size: number,
): Promise<CreationReport> {
  const random = prng(subSeed(seed, `creation:${kind}`));
  const dag = makeDag(subSeed(seed, "creation-dag"), size);
  const root = tempDir(`${kind}-create`);
  const problems: string[] = [];
  const outcomes = { noFile: 0, noCompletion: 0, someCompleted: 0 };
  const landed = { inConstructor: 0, beforeRunStored: 0, later: 0, missed: 0 };
  const runKey = "default";
  let kills = 0;
  let timing: ChildTiming | undefined;
  try {
    // A crash-free child shows when, after its `ready`, the store gets created.
    const clean = await runChild({
      kind,
      dir: path.join(root, "clean"),
      sideLog: path.join(root, "clean.log"),
      dag,
      runKey,
      generation: 1,
    });
    timing = childTiming(clean);
    const { opened, started } = timing;
    for (let i = 0; i < iterations; i++) {
      const dir = path.join(root, `s${i}`);
      // Most kills while the store's constructor creates the file and schema, the rest
      // while the lock and the run record are written.
      const roll = random();
      const delay =
        roll < 0.6
          ? opened * (0.3 + random() * 0.8)
          : roll < 0.85
            ? opened + random() * (started - opened + 5)
            : random() * opened;
      const child = await runChild(
        { kind, dir, sideLog: path.join(root, `s${i}.log`), dag, runKey, generation: 1 },
        delay,
      );
      const where = `creation kill #${i + 1} (${delay.toFixed(2)} ms after ready; left ${listFiles(dir)})`;
      if (!child.killed && child.code !== 0) {
        problems.push(`${where}: the child failed before the kill: ${child.stderr}`);
        continue;
      }
      if (!child.killed) landed.missed++;
      else if (child.phases.opened === undefined) landed.inConstructor++;
      else if (child.phases.started === undefined) landed.beforeRunStored++;
      else landed.later++;
      if (child.killed) kills++;
      const hadFile = fs.existsSync(storeFile(kind, dir));
      const seen = await inspectStore(kind, dir, dag, runKey, `after ${where}`);
      problems.push(...seen.problems);
      if (seen.problems.length > 0) continue;
      if (!hadFile) outcomes.noFile++;
      else if (seen.completed.size === 0) outcomes.noCompletion++;
      else outcomes.someCompleted++;
      problems.push(...(await finishInProcess(kind, dir, dag, runKey, seen, where)));
    }
  } finally {
    if (problems.length === 0) fs.rmSync(root, { recursive: true, force: true });
    else problems.push(`(the stores are kept in ${root})`);
  }
  return { kind, seed, kills, outcomes, landed, timing, problems };
}

/** Resumes the killed run here, on the store as the kill left it, and checks the outcome. */
async function finishInProcess(
  kind: StoreKind,
  dir: string,
  dag: CrashDag,
  runKey: string,
  seen: Inspection,
  where: string,
): Promise<string[]> {
  const problems: string[] = [];
  const ranAgain: string[] = [];
  const wf = buildWorkflow(dag, runKey, (ctx) => {
    if (seen.completed.has(ctx.taskName)) ranAgain.push(ctx.taskName);
  });
  const stateStore = openStore(kind, storeFile(kind, dir));
  try {
    const executor = new AsyncExecutor({ maxConcurrent: 8, stateStore, logger: silentLogger });
    await executor.execute(wf, { runKey });
    if (ranAgain.length > 0) {
      problems.push(`${where}: the resumed run re-ran stored completions ${ranAgain.join(", ")}`);
    }
    const wrong = wrongResults(wf, dag, runKey);
    if (wrong.length > 0)
      problems.push(`${where}: wrong results after resuming: ${wrong.join(", ")}`);
  } catch (error) {
    problems.push(`${where}: resuming on the store threw ${describeError(error)}`);
  } finally {
    await stateStore.close();
  }
  return problems;
}
