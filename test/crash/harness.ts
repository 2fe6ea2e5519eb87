import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { JSONStateStoreOptions, RunRecord, StoredTaskState } from "../../src/index.js";
import { type CrashDag, expectedResults, parseSeed, sameValue, WORKFLOW_NAME } from "./dag.js";
import { type Fault, openStore, type StoreKind, storeFile } from "./stores.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const CHILD = path.join(HERE, "child.ts");

/** A whole-number setting from the environment, for longer or shorter local runs. */
export function envInt(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number >= 0; got ${JSON.stringify(text)}.`);
  }
  return value;
}

/** A seed for one part of the suite, so the parts do not share one random stream. */
export function subSeed(seed: number, label: string): number {
  return parseSeed(`${seed}:${label}`);
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `fw-crash-${label}-`));
}

export interface ChildArgs {
  readonly kind: StoreKind;
  readonly dir: string;
  readonly sideLog: string;
  readonly dag: CrashDag;
  readonly runKey: string;
  readonly generation: number;
  /** A fault for the child's store, only to check that the suite catches it. */
  readonly fault?: Fault;
  /** The child kills itself right after this many stored completions. */
  readonly selfKillAfter?: number;
  /** Options for the JSON store's constructor. */
  readonly storeOptions?: JSONStateStoreOptions;
}

/** Points the child reports on its way: the store opened, the run stored, a first completion. */
export type Phase = "opened" | "started" | "completed";
const PHASES: readonly Phase[] = ["opened", "started", "completed"];

export interface ChildRun {
  /** True when a SIGKILL ended the child (the parent's, or its own), not a normal exit. */
  readonly killed: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the child's `ready` line to its end. */
  readonly sinceReadyMs: number | undefined;
  /** When the child reported `opened`, `started` and `completed`, in ms after `ready`. */
  readonly phases: Readonly<Partial<Record<Phase, number>>>;
}

/**
 * Runs the child once. With `killAfterMs`, sends SIGKILL that many milliseconds after the
 * child says `ready` (fractions of a millisecond by spinning), unless it ended first.
 */
export function runChild(
  args: ChildArgs,
  killAfterMs?: number,
  timeoutMs = 60_000,
): Promise<ChildRun> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      CHILD,
      args.kind,
      storeFile(args.kind, args.dir),
      args.sideLog,
      String(args.dag.seed),
      String(args.dag.tasks.length),
      args.runKey,
      String(args.generation),
    ],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        NO_COLOR: "1",
        FW_CRASH_FAULT: args.fault ?? "",
        FW_CRASH_SELF_KILL_AFTER: args.selfKillAfter?.toString() ?? "",
        FW_CRASH_STORE_OPTIONS: args.storeOptions ? JSON.stringify(args.storeOptions) : "",
      },
    },
  );
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let readyAt: number | undefined;
    const phases: Partial<Record<Phase, number>> = {};
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (proc: ChildProcess) => proc.kill("SIGKILL");
    const guard = setTimeout(() => {
      kill(child);
      reject(
        new Error(
          `crash test child (generation ${args.generation}) did not end within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      if (readyAt === undefined) {
        if (!stdout.includes("ready\n")) return;
        readyAt = performance.now();
        if (killAfterMs !== undefined && killAfterMs < 1) {
          while (performance.now() - readyAt < killAfterMs) {
            // Spinning: timers cannot wait less than a millisecond.
          }
          kill(child);
        } else if (killAfterMs !== undefined) {
          killTimer = setTimeout(() => kill(child), killAfterMs);
        }
      }
      for (const phase of PHASES) {
        if (phases[phase] === undefined && stdout.includes(`${phase}\n`)) {
          phases[phase] = performance.now() - readyAt;
        }
      }
    });
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (error) => {
      clearTimeout(guard);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      resolve({
        killed: signal === "SIGKILL",
        code,
        signal,
        stdout,
        stderr,
        sinceReadyMs: readyAt === undefined ? undefined : performance.now() - readyAt,
        phases,
      });
    });
  });
}

/** Where a crash-free child spends its time, in ms after `ready`: kill delays scale on it. */
export interface ChildTiming {
  readonly opened: number;
  readonly started: number;
  readonly completed: number;
  readonly total: number;
}

/** Throws, with the child's output, unless it ran to its end and checked its results. */
export function expectDone(child: ChildRun, what: string): void {
  if (child.code !== 0 || !child.stdout.includes("done ")) {
    throw new Error(
      `${what}: the child failed (exit ${child.code}, signal ${child.signal}):\n${child.stdout}\n${child.stderr}`,
    );
  }
}

export function childTiming(clean: ChildRun): ChildTiming {
  expectDone(clean, "a crash-free child run");
  const { opened, started, completed } = clean.phases;
  const total = clean.sinceReadyMs;
  if (
    opened === undefined ||
    started === undefined ||
    completed === undefined ||
    total === undefined
  ) {
    throw new Error(`a crash-free child did not report its phases: ${clean.stdout}`);
  }
  return { opened, started, completed, total };
}

export function showTiming(t: ChildTiming | undefined): string {
  if (!t) return "no timing";
  const ms = (n: number) => n.toFixed(0);
  return `opened ${ms(t.opened)} ms, run stored ${ms(t.started)} ms, first completion ${ms(t.completed)} ms, done ${ms(t.total)} ms after ready`;
}

/** One line of the side log: a task run to its end in some generation. */
export interface LogEntry {
  readonly generation: number;
  readonly runKey: string;
  readonly runId: string;
  readonly task: string;
}

/** The side log's entries (a line without its newline, which cannot happen, is ignored). */
export function readSideLog(file: string): LogEntry[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, "utf8").split("\n");
  lines.pop();
  return lines.map((line) => {
    const [generation, runKey, runId, task] = line.split(" ");
    if (!generation || !runKey || !runId || !task) {
      throw new Error(`crash test: malformed side log line ${JSON.stringify(line)}`);
    }
    return { generation: Number(generation), runKey, runId, task };
  });
}

/** What a fresh store instance reads from a store directory. */
export interface Inspection {
  /** Stored completions of the partition, by task name. */
  readonly completed: Map<string, StoredTaskState>;
  readonly runs: readonly RunRecord[];
  /** Everything found wrong, as sentences; empty when all is well. */
  readonly problems: string[];
}

/**
 * Opens the store in `dir` with a fresh instance and reads it only (task states, results,
 * history). Opening must never throw after a kill; every stored completion must decode to
 * exactly its expected result; both listings of task states must agree.
 */
export async function inspectStore(
  kind: StoreKind,
  dir: string,
  dag: CrashDag,
  runKey: string,
  when: string,
): Promise<Inspection> {
  const problems: string[] = [];
  const completed = new Map<string, StoredTaskState>();
  let runs: RunRecord[] = [];
  const expected = expectedResults(dag, runKey);
  let store: ReturnType<typeof openStore> | undefined;
  try {
    store = openStore(kind, storeFile(kind, dir));
    const states = await store.loadTaskStates(WORKFLOW_NAME, runKey);
    for (const [name, state] of states)
      if (state.status === "COMPLETED") completed.set(name, state);
    const listed = await store.listTaskStates(WORKFLOW_NAME, runKey);
    const listedDone = listed.filter((s) => s.status === "COMPLETED").map((s) => s.task);
    if (listedDone.length !== completed.size || listedDone.some((t) => !completed.has(t))) {
      problems.push(
        `${when}: listTaskStates shows ${listedDone.length} completions, loadTaskStates ${completed.size}`,
      );
    }
    for (const [name, state] of completed) {
      if (!expected.has(name)) {
        problems.push(`${when}: a completion is stored for "${name}", not a task of the DAG`);
        continue;
      }
      const value = await store.loadResult(WORKFLOW_NAME, runKey, name);
      if (!state.hasResult || !sameValue(value, expected.get(name))) {
        problems.push(`${when}: the stored result of "${name}" is not the expected one`);
      }
    }
    runs = await store.listRuns({ workflow: WORKFLOW_NAME, limit: 1000 });
    if (runs.length > 0) await store.listAttempts((runs[0] as RunRecord).runId);
  } catch (error) {
    problems.push(`${when}: reading the store threw ${describeError(error)}`);
  } finally {
    try {
      await store?.close();
    } catch (error) {
      problems.push(`${when}: closing the store threw ${describeError(error)}`);
    }
  }
  return { completed, runs, problems };
}

/**
 * Inspects a copy of the store directory, so that nothing the reading instance might do
 * (repair a torn tail, take a lock, checkpoint a WAL) changes what the next child finds.
 */
export async function inspectCopy(
  kind: StoreKind,
  dir: string,
  dag: CrashDag,
  runKey: string,
  when: string,
): Promise<Inspection> {
  const copy = `${dir}-copy`;
  fs.rmSync(copy, { recursive: true, force: true });
  // A kill while the child opened the store can land before it made the directory: then
  // there is nothing stored, and a fresh store must open on the empty place.
  if (fs.existsSync(dir)) fs.cpSync(dir, copy, { recursive: true });
  else fs.mkdirSync(copy, { recursive: true });
  try {
    return await inspectStore(kind, copy, dag, runKey, when);
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
}

/** The files in a directory with their sizes, for reports: `state.db:4096 state.db-wal:0`. */
export function listFiles(dir: string): string {
  if (!fs.existsSync(dir)) return "(no directory)";
  const names = fs.readdirSync(dir).sort();
  if (names.length === 0) return "(empty)";
  return names.map((name) => `${name}:${fs.statSync(path.join(dir, name)).size}`).join(" ");
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === "string" ? ` [${code}]` : ""}: ${error.message}`;
  }
  return String(error);
}
