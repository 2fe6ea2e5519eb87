import { type Executor, isFlowWeaverError, type StateStore, type Workflow } from "../../index.js";
import { ExitCode } from "../errors.js";
import { shellQuote } from "../format.js";
import { type CliIO, colorsFor, isInteractive } from "../io.js";
import { loadWorkflow } from "../load-workflow.js";
import { parseStateUrl, type StateLocation } from "../state-url.js";
import { checkExecutorOptions, createExecutor } from "./executors.js";
import { Interrupts } from "./interrupt.js";
import { JsonReporter } from "./json.js";
import { PlainReporter } from "./plain.js";
import { Progress } from "./progress.js";
import { captureConsole, type RunInfo, type RunReporter, reporterLogger } from "./reporter.js";
import type { RunOptions } from "./run-options.js";

/**
 * `flowweaver run FILE`: loads the file, runs its workflow on the chosen executor and
 * store with live progress, and turns the outcome into an exit code.
 */
export async function runFile(file: string, options: RunOptions, io: CliIO): Promise<number> {
  checkExecutorOptions(options.executor, options.concurrency);
  let reporter: RunReporter | undefined;
  const interrupts = new Interrupts({
    first: (signal) => reporter?.interrupted(signal),
    again: (signal) => {
      reporter?.close();
      io.stderr.write(
        `\n${signal} again: exiting now. Tasks that were running will run again on resume.\n`,
      );
      process.exit(ExitCode.INTERRUPTED);
    },
  });
  try {
    const location = parseStateUrl(options.state, io.cwd);
    const loaded = await loadWorkflow(file, { cwd: io.cwd, name: options.workflow });
    // A broken DAG is the file's fault: say so before touching the store.
    loaded.workflow.validate();
    const store = await location.open();
    try {
      if (options.fresh) await store.clearAllStates(loaded.workflow.name);
      const progress = new Progress(loaded.workflow, (event) => reporter?.event(event));
      const info: RunInfo = { file: loaded.file, executor: options.executor, state: location.url };
      reporter = await createReporter(io, options.json === true, progress, info);
      const code = await runWithReporter(reporter, progress, store, options, interrupts, io);
      printHint(code, io, location, options.json === true, interrupts.received);
      return code;
    } finally {
      reporter?.close();
      await closeQuietly(store, io);
    }
  } finally {
    interrupts.dispose();
  }
}

async function createReporter(
  io: CliIO,
  json: boolean,
  progress: Progress,
  info: RunInfo,
): Promise<RunReporter> {
  if (json) return new JsonReporter(io, progress, info);
  const colors = colorsFor(io.stdout, io.env);
  if (!isInteractive(io.stdout, io.env)) return new PlainReporter(io, progress, info, colors);
  // The terminal library loads only when there is a terminal to draw on.
  const { LiveReporter } = await import("./live.js");
  return new LiveReporter(io, progress, info, colors);
}

/** Executes the workflow with events and logs going to `reporter`; resolves to the exit code. */
async function runWithReporter(
  reporter: RunReporter,
  progress: Progress,
  store: StateStore,
  options: RunOptions,
  interrupts: Interrupts,
  io: CliIO,
): Promise<number> {
  const executor = createExecutor({
    name: options.executor,
    concurrency: options.concurrency,
    stateStore: store,
    logger: reporterLogger(reporter),
  });
  progress.attach(executor);
  // Plain output has nothing to protect from stray console lines.
  const restoreConsole = reporter instanceof PlainReporter ? () => {} : captureConsole(reporter);
  // An event loop with nothing left in it while tasks still run means their promises can
  // never settle; Node would exit silently (code 13) with the store's lock still held.
  let stalled = false;
  const onStall = () => {
    stalled = true;
    const running = progress.rows.filter((row) => progress.active.has(row.index));
    io.stderr.write(
      `error: the run stalled: nothing is left for the running tasks (${running.map((row) => row.name).join(", ")}) to wait on, so their promises can never settle. Check that every task's promise resolves or rejects.\n`,
    );
    interrupts.stop(new Error("the run stalled"));
  };
  process.once("beforeExit", onStall);
  try {
    const code = await execute(executor, progress.workflow, options, interrupts.signal);
    return stalled ? ExitCode.FAILED : code;
  } finally {
    process.off("beforeExit", onStall);
    restoreConsole();
    reporter.close();
    await executor.close();
  }
}

/** Runs the workflow; resolves to the exit code of a run that ended, throws otherwise. */
async function execute(
  executor: Executor,
  workflow: Workflow,
  options: RunOptions,
  signal: AbortSignal,
): Promise<number> {
  try {
    await executor.execute(workflow, {
      signal,
      params: options.param ?? {},
      runKey: options.runKey,
      failFast: options.failFast === true,
    });
    return ExitCode.OK;
  } catch (error) {
    if (isFlowWeaverError(error, "WorkflowFailedError")) return ExitCode.FAILED;
    if (isFlowWeaverError(error, "WorkflowCancelledError")) return ExitCode.INTERRUPTED;
    throw error;
  }
}

/** After a failed or interrupted run: how to go on. On stderr, so `--json` stdout stays JSON. */
function printHint(
  code: number,
  io: CliIO,
  location: StateLocation,
  json: boolean,
  signal: NodeJS.Signals | undefined,
): void {
  if (code === ExitCode.OK) return;
  const lead = code === ExitCode.INTERRUPTED ? `Interrupted${signal ? ` by ${signal}` : ""}. ` : "";
  if (!location.durable) {
    io.stderr.write(
      `${lead}State was kept in memory only (--state ${location.url}), so a new run starts over. Use --state sqlite:PATH to make runs resumable.\n`,
    );
    return;
  }
  const command = resumeCommand(io);
  const what =
    code === ExitCode.INTERRUPTED
      ? `Finished tasks are saved in ${location.url}. To resume, run the same command:`
      : "Fix the failure, then run the same command: completed tasks will not run again.";
  io.stderr.write(`${json ? "" : "\n"}${lead}${what}\n  ${command}\n`);
}

/** The command line that resumes this run: the same one, without `--fresh`. */
function resumeCommand(io: CliIO): string {
  const prefix = io.env.npm_command === "exec" ? "npx flowweaver" : "flowweaver";
  return [prefix, ...io.args.filter((arg) => arg !== "--fresh").map(shellQuote)].join(" ");
}

async function closeQuietly(store: StateStore, io: CliIO): Promise<void> {
  try {
    await store.close();
  } catch (error) {
    io.stderr.write(
      `warning: could not close the state store: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
}
