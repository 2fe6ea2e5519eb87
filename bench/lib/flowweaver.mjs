/**
 * Loads the BUILT package (dist/), so the benchmarks measure what users get, and says
 * which stores it offers: SQLite and JSON may be missing from a build in progress, and a
 * scenario must then say so rather than print a figure.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const DIST = new URL("../../dist/index.js", import.meta.url);

/** The package's exports, or a clear error telling how to build it. */
export async function loadFlowWeaver() {
  if (!fs.existsSync(DIST)) {
    throw new Error(
      `The built package is missing (${DIST.pathname}). Run "npm run build" first, or use "npm run bench", which builds.`,
    );
  }
  return import(pathToFileURL(DIST.pathname).href);
}

/** A fresh temporary directory; remove it with `removeDir`. */
export function makeTempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "fw-bench-"));
}

export function removeDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * The stores to compare. Each entry opens a store in a directory of its own, or says why it
 * cannot (`missing`). `memory` means no `stateStore` option at all: the executor's default.
 */
export function storeKinds(fw) {
  const missing = (name) =>
    `${name} is not exported by dist/index.js yet (not built, or not written): no figure`;
  return [
    { key: "memory", label: "memory (no store)", open: () => undefined },
    fw.SQLiteStateStore
      ? {
          key: "sqlite",
          label: "SQLite",
          open: (dir) => new fw.SQLiteStateStore(path.join(dir, "state.db")),
        }
      : { key: "sqlite", label: "SQLite", missing: missing("SQLiteStateStore") },
    fw.JSONStateStore
      ? {
          key: "json",
          label: "JSON",
          open: (dir) => new fw.JSONStateStore(path.join(dir, "state.json")),
        }
      : { key: "json", label: "JSON", missing: missing("JSONStateStore") },
  ];
}

/** SQLite with `durability: "full"` (fsync on every commit group), or why it is missing. */
export function sqliteFull(fw) {
  if (!fw.SQLiteStateStore) {
    return {
      key: "sqlite-full",
      label: 'SQLite, durability "full"',
      missing: "SQLiteStateStore is not exported by dist/index.js yet: no figure",
    };
  }
  return {
    key: "sqlite-full",
    label: 'SQLite, durability "full"',
    open: (dir) => new fw.SQLiteStateStore(path.join(dir, "state.db"), { durability: "full" }),
  };
}

const noop = () => null;

/** Creates the tasks and the workflow from a shape (dependencies by name, as users write them). */
export function buildWorkflow(fw, shape, workflowName = "bench") {
  const { names, parents } = shape;
  const workflow = new fw.Workflow(workflowName);
  for (let i = 0; i < names.length; i++) {
    const p = parents[i];
    const dependsOn = new Array(p.length);
    for (let k = 0; k < p.length; k++) dependsOn[k] = names[p[k]];
    workflow.addTask(fw.task(names[i], noop), { dependsOn });
  }
  return workflow;
}

/**
 * FlowWeaver "build+run": creates the tasks and the workflow from the shape, validates it
 * and runs it with an AsyncExecutor, in the default configuration (events and history on).
 * Opening and closing the store are outside the timing; everything else is inside.
 * Returns the elapsed milliseconds and the run result.
 */
export async function buildAndRun(fw, shape, { concurrency, stateStore, workflowName }) {
  const started = performance.now();
  const workflow = buildWorkflow(fw, shape, workflowName);
  workflow.validate();
  const executor = new fw.AsyncExecutor({ maxConcurrent: concurrency, stateStore });
  const result = await executor.execute(workflow);
  const ms = performance.now() - started;
  await executor.close();
  return { ms, result, workflow };
}

/** Checks that a run did what a benchmark claims it did, so no figure comes from a broken run. */
export function assertCompleted(result, size, { restored = false } = {}) {
  if (result.status !== "COMPLETED") throw new Error(`run ended ${result.status}, not COMPLETED`);
  const tasks = Object.values(result.tasks);
  if (tasks.length !== size) throw new Error(`run reports ${tasks.length} tasks, expected ${size}`);
  const wrong = tasks.filter((t) => t.status !== "COMPLETED" || t.restored !== restored).length;
  if (wrong > 0) {
    throw new Error(
      `${wrong} of ${size} tasks are not COMPLETED with restored=${restored} in the run result`,
    );
  }
}
