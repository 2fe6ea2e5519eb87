/**
 * The crash test's child process: runs the seeded workflow on a store until done, and is
 * killed with SIGKILL by the parent at random moments. Started as
 * `node --import tsx child.ts <kind> <storeFile> <sideLog> <dagSeed> <size> <runKey> <generation>`.
 *
 * It tells the parent where it is on stdout, a line each: `ready` just before the store is
 * created or opened (the parent times its kill from there), `opened` once it is,
 * `started` when the run record is stored, `completed` at the first stored completion,
 * and `done …` once the run completed and every result checked out. Each task, as it ends, appends
 * `<generation> <runKey> <runId> <task>` to the side log, opened with O_APPEND and written
 * synchronously, so the line is in the file before the scheduler can store the completion.
 *
 * The environment may add: FW_CRASH_STORE_OPTIONS (options for the JSON store's
 * constructor, as JSON), FW_CRASH_SELF_KILL_AFTER (die after that many stored completions) and
 * FW_CRASH_FAULT (a broken store, for the harness's own check).
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { AsyncExecutor, type JSONStateStoreOptions } from "../../src/index.js";
import { makeDag } from "./dag.js";
import { openStore, withFault } from "./stores.js";
import { buildWorkflow, wrongResults } from "./workflow.js";

const args = process.argv.slice(2);
const [kind, file, sideLog, seedText, sizeText, runKey, generation] = args;
if (
  (kind !== "sqlite" && kind !== "json") ||
  !file ||
  !sideLog ||
  !seedText ||
  !sizeText ||
  !runKey ||
  !generation
) {
  process.stderr.write(
    `usage: child.ts sqlite|json <storeFile> <sideLog> <dagSeed> <size> <runKey> <generation>; got ${JSON.stringify(args)}\n`,
  );
  process.exit(2);
}

const dag = makeDag(Number(seedText), Number(sizeText));
const log = openSync(sideLog, "a");
const wf = buildWorkflow(dag, runKey, (ctx) => {
  writeSync(log, `${generation} ${ctx.runKey} ${ctx.runId} ${ctx.taskName}\n`);
});

// The store loads its native driver on first use, which takes tens of milliseconds that
// vary from run to run; loaded here, the store's own work starts right after `ready`,
// so kill delays measured from there land where they are aimed.
if (kind === "sqlite") createRequire(import.meta.url)("better-sqlite3");
writeSync(1, "ready\n");
const options = process.env.FW_CRASH_STORE_OPTIONS;
const stateStore = withFault(
  openStore(kind, file, options ? (JSON.parse(options) as JSONStateStoreOptions) : undefined),
  process.env.FW_CRASH_FAULT,
);
writeSync(1, "opened\n");
const executor = new AsyncExecutor({ maxConcurrent: 8, stateStore });
executor.on("run:start", () => writeSync(1, "started\n"));
// FW_CRASH_SELF_KILL_AFTER=n: die by SIGKILL right after the n-th stored completion, a
// kill point that does not depend on timing.
const selfKillAfter = Number(process.env.FW_CRASH_SELF_KILL_AFTER || Number.POSITIVE_INFINITY);
let completions = 0;
executor.on("task:complete", () => {
  if (++completions === 1) writeSync(1, "completed\n");
  if (completions >= selfKillAfter) process.kill(process.pid, "SIGKILL");
});
const result = await executor.execute(wf, { runKey });
const wrong = wrongResults(wf, dag, runKey);
await stateStore.close();
closeSync(log);
if (wrong.length > 0) {
  process.stderr.write(`crash test: wrong final results for tasks ${wrong.join(", ")}\n`);
  process.exit(1);
}
const restored = Object.values(result.tasks).filter((t) => t.restored).length;
writeSync(1, `done tasks=${dag.tasks.length} restored=${restored} run=${result.runId}\n`);
