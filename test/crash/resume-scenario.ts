import fs from "node:fs";
import path from "node:path";
import { makeDag, prng } from "./dag.js";
import {
  type ChildRun,
  type ChildTiming,
  childTiming,
  describeError,
  expectDone,
  inspectCopy,
  inspectStore,
  type LogEntry,
  readSideLog,
  runChild,
  subSeed,
  tempDir,
} from "./harness.js";
import { COMPACT_OFTEN, type Fault, type StoreKind, storeFile } from "./stores.js";

/** The child's AsyncExecutor concurrency: at most this many runs are lost to one kill. */
const MAX_CONCURRENT = 8;

export interface ResumeReport {
  readonly kind: StoreKind;
  readonly seed: number;
  readonly kills: number;
  /** Workflows (one run key each) driven to completion through the kills. */
  readonly rounds: number;
  readonly childRuns: number;
  /** Kills that landed before the store held any completion of the round. */
  readonly killsBeforeFirstCompletion: number;
  /** Where the kills landed, by what the child had reported before it died. */
  readonly landed: {
    opening: number;
    beforeRunStored: number;
    beforeFirstCompletion: number;
    running: number;
  };
  /** Task runs repeated after a kill (the work lost in flight); never a stored one. */
  readonly repeatedRuns: number;
  readonly maxLostPerKill: number;
  /** JSON only: kills that left the file not ending with a newline. */
  readonly tornTails: number;
  /** JSON only: child runs that replaced the journal by a compacted one. */
  readonly compactions: number;
  /** JSON only: kills that left a compaction's temporary file behind (killed mid-way). */
  readonly killsInCompaction: number;
  /** The crash-free run's phases, in ms after `ready`. */
  readonly timing: ChildTiming | undefined;
  readonly problems: readonly string[];
  /** The directory kept for a look when there were problems. */
  readonly keptDir: string | undefined;
}

export interface ResumeOptions {
  readonly kind: StoreKind;
  readonly seed: number;
  readonly kills: number;
  /** Tasks in the workflow. */
  readonly size: number;
  /** Only for the harness's own check: a fault the suite must catch. */
  readonly fault?: Fault;
  /** Instead of timed kills, each child to be killed kills itself after this many completions. */
  readonly selfKillAfter?: number;
}

/**
 * Kills the child at seeded random moments, restarting it each time, until `kills` kills
 * have landed (starting a new run key, a fresh workflow in the same store, whenever one
 * completes), then lets the last round finish. After every kill a fresh store instance
 * reads a copy of the store: it must open, every stored completion must hold its expected
 * result, completions never disappear, and history must be readable and hold every run
 * that ran a task. Later generations must not run any task stored as completed.
 */
export async function resumeScenario(options: ResumeOptions): Promise<ResumeReport> {
  const { kind, seed, kills, size, fault, selfKillAfter } = options;
  const random = prng(subSeed(seed, `resume:${kind}`));
  const dag = makeDag(subSeed(seed, "dag"), size);
  const root = tempDir(kind);
  const dir = path.join(root, "store");
  const sideLog = path.join(root, "side.log");
  const problems: string[] = [];
  let generation = 0;
  let killCount = 0;
  let rounds = 0;
  let killsBeforeFirstCompletion = 0;
  const landed = { opening: 0, beforeRunStored: 0, beforeFirstCompletion: 0, running: 0 };
  let repeatedRuns = 0;
  let maxLostPerKill = 0;
  let tornTails = 0;
  let compactions = 0;
  let killsInCompaction = 0;
  let timing: ChildTiming | undefined;
  let keptDir: string | undefined;
  try {
    // A crash-free child run first: its results must check out, and its length scales
    // the kill delays below.
    const clean = await runChild({
      kind,
      dir: path.join(root, "clean"),
      sideLog: path.join(root, "clean.log"),
      dag,
      runKey: "clean",
      generation: 0,
    });
    expectDone(clean, "the crash-free run");
    const cleanInspection = await inspectStore(
      kind,
      path.join(root, "clean"),
      dag,
      "clean",
      "the crash-free run",
    );
    problems.push(...cleanInspection.problems);
    if (cleanInspection.completed.size !== size) {
      problems.push(
        `the crash-free run stored ${cleanInspection.completed.size} of ${size} completions`,
      );
    }
    timing = childTiming(clean);
    const pace = new Pace(timing, size);

    for (let round = 0; killCount < kills || round === 0; round++) {
      const runKey = `round-${round}`;
      rounds++;
      /** Stored completions as read after the last kill: none of them may run again. */
      let stored = new Map<string, string>();
      for (;;) {
        generation++;
        const killing = killCount < kills;
        const delay =
          killing && selfKillAfter === undefined
            ? pace.killDelay(random, generation === 1)
            : undefined;
        const journalBefore = inode(storeFile(kind, dir));
        const tempsBefore = compactionTemps(dir);
        const child = await runChild(
          {
            kind,
            dir,
            sideLog,
            dag,
            runKey,
            generation,
            fault,
            selfKillAfter: killing ? selfKillAfter : undefined,
            // Every other JSON child compacts often, so kills also land in compactions.
            storeOptions: kind === "json" && generation % 2 === 1 ? COMPACT_OFTEN : undefined,
          },
          delay,
        );
        const how =
          delay !== undefined
            ? `kill #${killCount + 1} at ${delay.toFixed(2)} ms after ready`
            : killing
              ? `kill #${killCount + 1} after ${selfKillAfter} completions`
              : "not killed";
        const where = `generation ${generation} (${runKey}, ${how})`;
        if (kind === "json") {
          const journalAfter = inode(storeFile(kind, dir));
          if (journalBefore !== undefined && journalAfter !== journalBefore) compactions++;
          const newTemp = compactionTemps(dir).some((name) => !tempsBefore.includes(name));
          if (child.killed && newTemp) killsInCompaction++;
        }
        const log = readSideLog(sideLog);
        const ranNow = log.filter((e) => e.generation === generation);
        for (const entry of ranNow) {
          if (stored.has(entry.task)) {
            problems.push(
              `${where}: task "${entry.task}" ran again although its completion (run ${stored.get(entry.task)}) was stored before this generation started`,
            );
          }
        }
        const ranBefore = new Set(
          log.filter((e) => e.runKey === runKey && e.generation < generation).map((e) => e.task),
        );
        repeatedRuns += ranNow.filter((e) => ranBefore.has(e.task)).length;
        pace.learn(child, delay, ranNow.length);

        if (!child.killed) {
          expectDone(child, where);
          const final = await inspectStore(kind, dir, dag, runKey, `after ${where} completed`);
          problems.push(...final.problems);
          checkCompletions(final.completed, log, runKey, `after ${where} completed`, problems);
          if (final.completed.size !== size) {
            problems.push(
              `${where}: the run completed but the store holds ${final.completed.size} of ${size} completions`,
            );
          }
          const runId = /run=(\S+)/.exec(child.stdout)?.[1];
          const latest = final.runs[0];
          if (latest?.runId !== runId || latest?.status !== "COMPLETED") {
            problems.push(
              `${where}: the newest run in history is ${latest?.runId} ${latest?.status}, expected ${runId} COMPLETED`,
            );
          }
          checkHistory(final.runs, log, runKey, where, problems);
          break;
        }

        killCount++;
        if (child.phases.opened === undefined) landed.opening++;
        else if (child.phases.started === undefined) landed.beforeRunStored++;
        else if (child.phases.completed === undefined) landed.beforeFirstCompletion++;
        else landed.running++;
        if (kind === "json") tornTails += endsTorn(storeFile(kind, dir)) ? 1 : 0;
        const seen = await inspectCopy(kind, dir, dag, runKey, `after ${where}`);
        problems.push(...seen.problems);
        for (const [task, runId] of stored) {
          if (!seen.completed.has(task)) {
            problems.push(`${where}: the stored completion of "${task}" (run ${runId}) was lost`);
          }
        }
        checkCompletions(seen.completed, log, runKey, `after ${where}`, problems);
        checkHistory(seen.runs, log, runKey, where, problems);
        const lost = ranNow.filter((e) => !seen.completed.has(e.task)).length;
        maxLostPerKill = Math.max(maxLostPerKill, lost);
        if (lost > MAX_CONCURRENT) {
          problems.push(
            `${where}: ${lost} tasks ran to their end but their completions were not stored; at most ${MAX_CONCURRENT} (the concurrency) may be in flight`,
          );
        }
        if (seen.completed.size === 0) killsBeforeFirstCompletion++;
        stored = new Map([...seen.completed].map(([task, state]) => [task, state.runId]));
      }
    }
  } catch (error) {
    // A child that failed ends the scenario; what was found so far goes with it.
    problems.push(describeError(error));
  } finally {
    if (problems.length === 0) fs.rmSync(root, { recursive: true, force: true });
    else problems.push(`(the store and side log are kept in ${root})`);
    keptDir = problems.length === 0 ? undefined : root;
  }
  return {
    kind,
    seed,
    kills: killCount,
    rounds,
    childRuns: generation + 1,
    killsBeforeFirstCompletion,
    landed,
    repeatedRuns,
    maxLostPerKill,
    tornTails,
    compactions,
    killsInCompaction,
    timing,
    problems,
    keptDir,
  };
}

/**
 * Where to aim kills, learnt as the children run: the machine's speed varies (other
 * processes share it), so each child's reported phases and the tasks it finished before
 * its kill correct the crash-free run's figures.
 */
class Pace {
  #opened: number;
  #started: number;
  #completed: number;
  /** Milliseconds per task once the run has started, at the child's concurrency. */
  #perTask: number;
  readonly #size: number;

  constructor(clean: ChildTiming, size: number) {
    this.#opened = clean.opened;
    this.#started = clean.started;
    this.#completed = clean.completed;
    this.#perTask = (clean.total - clean.started) / size;
    this.#size = size;
  }

  /**
   * A kill delay in ms after `ready`: the very first while the store is created, then a
   * mix of kills while the store opens and the run record is stored, around the first
   * commits, and in the run itself, about a tenth of the workflow apart on average so a
   * round takes a dozen kills or so.
   */
  killDelay(random: () => number, creating: boolean): number {
    if (creating) return random() * this.#opened * 1.2;
    const roll = random();
    if (roll < 0.15) return random() * this.#started * 1.2;
    if (roll < 0.3) return this.#started + random() * (this.#completed - this.#started + 20);
    return this.#started + random() * 0.2 * this.#size * this.#perTask;
  }

  learn(child: ChildRun, delay: number | undefined, finishedTasks: number): void {
    const { started, completed } = child.phases;
    if (started !== undefined) this.#started = (this.#started + started) / 2;
    if (completed !== undefined) this.#completed = (this.#completed + completed) / 2;
    const end = child.killed ? delay : child.sinceReadyMs;
    if (started !== undefined && end !== undefined && finishedTasks >= 8) {
      this.#perTask = (this.#perTask + (end - started) / finishedTasks) / 2;
    }
  }
}

/** Every stored completion was written by a run that really ran that task. */
function checkCompletions(
  completed: ReadonlyMap<string, { readonly runId: string }>,
  log: readonly LogEntry[],
  runKey: string,
  when: string,
  problems: string[],
): void {
  const ran = new Set(log.filter((e) => e.runKey === runKey).map((e) => `${e.task} ${e.runId}`));
  for (const [task, state] of completed) {
    if (!ran.has(`${task} ${state.runId}`)) {
      problems.push(
        `${when}: "${task}" is stored as completed by run ${state.runId}, which never ran it`,
      );
    }
  }
}

/** A run's record is stored before any of its tasks starts, so history holds every run that ran one. */
function checkHistory(
  runs: readonly { readonly runId: string }[],
  log: readonly LogEntry[],
  runKey: string,
  where: string,
  problems: string[],
): void {
  const known = new Set(runs.map((r) => r.runId));
  const missing = new Set(
    log.filter((e) => e.runKey === runKey && !known.has(e.runId)).map((e) => e.runId),
  );
  if (missing.size > 0) {
    problems.push(`${where}: history lacks runs that ran tasks: ${[...missing].join(", ")}`);
  }
}

/** The JSON store's compaction files in `dir`: one left behind means a kill mid-compaction. */
function compactionTemps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => /\.compact-.*\.tmp$/.test(name));
}

function inode(file: string): number | undefined {
  return fs.existsSync(file) ? fs.statSync(file).ino : undefined;
}

function endsTorn(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const size = fs.statSync(file).size;
  if (size === 0) return false;
  const fd = fs.openSync(file, "r");
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}
