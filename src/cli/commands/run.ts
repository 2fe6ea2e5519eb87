import { Option } from "commander";
import { action, type CommandModule } from "../command.js";
import {
  collectParam,
  runKeyOption,
  stateOption,
  wholeNumber,
  workflowOption,
} from "../options.js";
import { EXECUTOR_NAMES, type RunOptions } from "../run/run-options.js";

const EXAMPLES = `
Examples:
  $ flowweaver run examples/customer_etl.ts
  $ flowweaver run etl.ts --executor async --concurrency 20
  $ flowweaver run report.ts --run-key 2026-11-25 --param date=2026-11-25
  $ flowweaver run etl.ts --state json:state.json --json | tee run.log

Press Ctrl-C to stop: running tasks are aborted, finished ones stay stored, and running
the same command again resumes.`;

/** `flowweaver run FILE`: runs a workflow file with live progress, resuming from the store. */
export const runCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("run")
      .description("run a workflow file; running it again resumes where the last run stopped")
      .argument("<file>", "workflow file (.ts, .mts, .js or .mjs) that exports a Workflow")
      .addOption(
        new Option("--executor <name>", "where tasks run")
          .choices(EXECUTOR_NAMES)
          .default("sequential"),
      )
      .option(
        "--concurrency <n>",
        "tasks at once (async, default 10) or worker threads (threaded)",
        wholeNumber("--concurrency", 1),
      )
      .addOption(stateOption())
      .option("--fresh", "clear the workflow's stored state first, so every task runs")
      .option("--json", "print one JSON object per event, for log shippers")
      .option("--param <key=value>", "a value for ctx.params (repeat for more)", collectParam)
      .addOption(
        runKeyOption(
          'the state partition, e.g. a date: runs with the same key resume each other (default: "default")',
        ),
      )
      .addOption(workflowOption())
      .option("--fail-fast", "stop the whole run at the first task failure")
      .addHelpText("after", EXAMPLES)
      .action(
        action(exit, async (file: string, options: RunOptions) => {
          // Loaded on use, so `--help` and usage errors never load the engine.
          const { runFile } = await import("../run/run-file.js");
          return runFile(file, options, io);
        }),
      );
  },
};
