import fs from "node:fs";
import path from "node:path";
import { makeDag, prng } from "./dag.js";
import {
  type ChildRun,
  describeError,
  expectDone,
  inspectCopy,
  inspectStore,
  readSideLog,
  runChild,
  subSeed,
  tempDir,
} from "./harness.js";
import { storeFile } from "./stores.js";

/** Where the tear cuts the last record: anywhere, after its first byte, or its newline only. */
export type TearVariant = "middle" | "first-byte" | "newline";
export const TEAR_VARIANTS: readonly TearVariant[] = ["middle", "first-byte", "newline"];

/** At most this many completions share one commit group (the child's concurrency). */
const MAX_CONCURRENT = 8;

export interface TornReport {
  readonly seed: number;
  readonly tears: number;
  /** Completions the tears dropped (each at most one commit group). */
  readonly droppedCompletions: number;
  /** Whether the file read as one JSON value a line (then every line was checked). */
  readonly jsonLines: boolean;
  readonly problems: readonly string[];
}

/**
 * The JSON store's torn final record, as a kill in the middle of an append leaves it. For
 * each variant: kill a run mid-way, cut the file inside its last line, and check that the
 * store opens, drops only that record, and that the next run (itself killed) appends
 * cleanly after it; then tear once more and let a run finish: every result must be right
 * and no completion that survived a tear may run again.
 */
export async function tornTailScenario(seed: number, size: number): Promise<TornReport> {
  const random = prng(subSeed(seed, "torn"));
  const dag = makeDag(subSeed(seed, "torn-dag"), size);
  const root = tempDir("json-torn");
  const problems: string[] = [];
  let tears = 0;
  let droppedCompletions = 0;
  let jsonLines = true;
  try {
    for (const variant of TEAR_VARIANTS) {
      const dir = path.join(root, variant);
      const sideLog = path.join(root, `${variant}.log`);
      const file = storeFile("json", dir);
      const runKey = "default";
      let generation = 0;
      /** Completions that survived the last tear: none may run again. */
      let stored = new Set<string>();
      const run = async (killAfterMs: number | undefined): Promise<string> => {
        generation++;
        const where = `${variant} tear, generation ${generation}`;
        const child = await runChild(
          { kind: "json", dir, sideLog, dag, runKey, generation },
          killAfterMs,
        );
        expectEnd(child, where, killAfterMs !== undefined);
        const again = readSideLog(sideLog).filter(
          (e) => e.generation === generation && stored.has(e.task),
        );
        if (again.length > 0) {
          problems.push(
            `${where}: stored completions ran again: ${again.map((e) => e.task).join(", ")}`,
          );
        }
        return where;
      };
      for (let cut = 1; cut <= 2; cut++) {
        // Kill runs until the journal holds a record after its header: the header itself is
        // written whole (a new journal is linked into place), so it is never what a kill tears.
        let where = await run(15 + random() * 60);
        for (let tries = 1; !hasRecords(file); tries++) {
          if (tries === 6) throw new Error(`${where}: the journal still holds no record`);
          where = await run(30 * tries + random() * 60);
        }
        // The run appended after the previous tear: the file must read whole before this one.
        const before = await inspectCopy(
          "json",
          dir,
          dag,
          runKey,
          `after ${where} (before tearing)`,
        );
        problems.push(...before.problems);
        jsonLines &&= checkLines(file, `${where} (before tearing)`, problems, false);
        tear(file, variant, random);
        tears++;
        const after = await inspectCopy("json", dir, dag, runKey, `after ${where} (torn)`);
        problems.push(...after.problems);
        const dropped = [...before.completed.keys()].filter((t) => !after.completed.has(t));
        const added = [...after.completed.keys()].filter((t) => !before.completed.has(t));
        droppedCompletions += dropped.length;
        if (added.length > 0) {
          problems.push(`${where}: tearing the file created completions: ${added.join(", ")}`);
        }
        if (dropped.length > MAX_CONCURRENT) {
          problems.push(
            `${where}: tearing the last line dropped ${dropped.length} completions, more than one commit group holds (${MAX_CONCURRENT})`,
          );
        }
        stored = new Set(after.completed.keys());
      }
      const where = await run(undefined);
      const final = await inspectStore("json", dir, dag, runKey, `after ${where}`);
      problems.push(...final.problems);
      if (final.completed.size !== size) {
        problems.push(`${where}: ${final.completed.size} of ${size} completions stored at the end`);
      }
      jsonLines &&= checkLines(file, where, problems, true);
    }
  } catch (error) {
    problems.push(describeError(error));
  } finally {
    if (problems.length === 0) fs.rmSync(root, { recursive: true, force: true });
    else problems.push(`(the stores are kept in ${root})`);
  }
  return { seed, tears, droppedCompletions, jsonLines, problems };
}

function expectEnd(child: ChildRun, where: string, mayBeKilled: boolean): void {
  if (!(child.killed && mayBeKilled)) expectDone(child, where);
}

/** Whether the journal holds a complete line after its header line. */
function hasRecords(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  const text = fs.readFileSync(file, "utf8");
  const first = text.indexOf("\n");
  return first >= 0 && text.indexOf("\n", first + 1) > first;
}

/**
 * Cuts the file inside its last line, as a kill in the middle of writing that record
 * would. A file already ending without a newline (a kill did it) is cut further into
 * the same line.
 */
function tear(file: string, variant: TearVariant, random: () => number): void {
  const text = fs.readFileSync(file);
  const end = text[text.length - 1] === 0x0a ? text.length - 1 : text.length;
  const start = text.lastIndexOf(0x0a, end - 1) + 1;
  if (start === 0) throw new Error(`cannot tear ${file}: its last line is its header`);
  if (end - start < 2) throw new Error(`cannot tear ${file}: its last line is too short`);
  const cut =
    variant === "newline"
      ? end
      : variant === "first-byte"
        ? start + 1
        : start + 1 + Math.floor(random() * (end - start - 1));
  fs.truncateSync(file, cut);
}

/**
 * When the file is one JSON value a line (a journal), every line must parse: a record
 * glued onto a torn fragment would not. A torn last line is allowed after a kill, not
 * after a run that `finished`. Returns whether the file has that shape.
 */
function checkLines(file: string, where: string, problems: string[], finished: boolean): boolean {
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n");
  const tail = lines.pop();
  try {
    JSON.parse(lines[0] ?? "");
  } catch {
    return false;
  }
  if (finished && tail !== "") problems.push(`${where}: the file does not end with a newline`);
  lines.forEach((line, i) => {
    try {
      JSON.parse(line);
    } catch {
      problems.push(
        `${where}: line ${i + 1} of the journal is not one JSON value: ${line.slice(0, 120)}`,
      );
    }
  });
  return true;
}
