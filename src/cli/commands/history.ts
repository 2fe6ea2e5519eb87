import type { RunRecord, StateStore } from "../../index.js";
import { action, type CommandModule } from "../command.js";
import { ExitCode, UsageError } from "../errors.js";
import { errorLine, formatSeconds, formatTime, paintStatus, table } from "../format.js";
import { type CliIO, colorsFor } from "../io.js";
import { stateOption, wholeNumber } from "../options.js";
import { nothingStored, withExistingStore } from "../read-store.js";
import type { StateLocation } from "../state-url.js";

interface HistoryOptions {
  readonly state: string;
  readonly limit: number;
  readonly run?: string;
  readonly json?: boolean;
}

/** How far back a run id prefix is looked for. */
const PREFIX_SEARCH = 1000;

/** `flowweaver history [WORKFLOW]`: recent runs, or one run's attempts with `--run ID`. */
export const historyCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("history")
      .description("list recent runs with their status and duration, or one run's attempts")
      .argument("[workflow]", "a workflow name (default: every workflow in the store)")
      .addOption(stateOption())
      .option("--limit <n>", "how many runs to list", wholeNumber("--limit", 1), 20)
      .option("--run <id>", "show this run's attempts (a unique prefix of the id is enough)")
      .option("--json", "print the runs (or the run and its attempts) as one JSON document")
      .action(
        action(exit, (workflow: string | undefined, options: HistoryOptions) =>
          history(workflow, options, io),
        ),
      );
  },
};

async function history(
  workflow: string | undefined,
  options: HistoryOptions,
  io: CliIO,
): Promise<number> {
  return withExistingStore("history", options.state, io, async (store, location) => {
    if (options.run !== undefined) {
      if (!store) throw new UsageError(`--run ${options.run}: ${nothingStored(location).trim()}`);
      return showRun(store, location, workflow, options, io);
    }
    const runs = store ? await store.listRuns({ workflow, limit: options.limit }) : [];
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ state: location.url, runs }, null, 2)}\n`);
      return ExitCode.OK;
    }
    if (!store) {
      io.stdout.write(nothingStored(location));
      return ExitCode.OK;
    }
    if (runs.length === 0) {
      io.stdout.write(
        `${location.url} holds no runs${workflow === undefined ? "" : ` of workflow "${workflow}"`}.\n`,
      );
      return ExitCode.OK;
    }
    const c = colorsFor(io.stdout, io.env);
    const rows = runs.map((run) => [
      run.runId,
      run.workflow,
      run.runKey,
      paintStatus(run.status, c),
      formatTime(run.startedAt),
      runDuration(run),
    ]);
    const lines = table(["RUN ID", "WORKFLOW", "RUN KEY", "STATUS", "STARTED", "DURATION"], rows);
    io.stdout.write(`${lines.join("\n")}\n`);
    io.stdout.write(c.dim("See one run's attempts with: flowweaver history --run ID\n"));
    return ExitCode.OK;
  });
}

async function showRun(
  store: StateStore,
  location: StateLocation,
  workflow: string | undefined,
  options: HistoryOptions,
  io: CliIO,
): Promise<number> {
  const run = await findRun(store, location, workflow, options.run as string);
  const attempts = await store.listAttempts(run.runId);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ state: location.url, run, attempts }, null, 2)}\n`);
    return ExitCode.OK;
  }
  const c = colorsFor(io.stdout, io.env);
  const header = [
    `${c.bold(run.workflow)} run ${run.runId}: ${paintStatus(run.status, c)}`,
    `  run key ${run.runKey} · started ${formatTime(run.startedAt)}${
      run.finishedAt === undefined ? "" : ` · finished ${formatTime(run.finishedAt)}`
    } · ${runDuration(run) || "not finished"}`,
  ];
  if (run.error) header.push(`  ${c.red(errorLine(run.error))}`);
  const rows = attempts.map((a) => [
    a.task,
    String(a.attempt),
    paintStatus(a.status, c),
    formatTime(a.startedAt),
    a.finishedAt === undefined ? "" : formatSeconds((a.finishedAt - a.startedAt) / 1000),
    errorLine(a.error),
  ]);
  const body =
    rows.length === 0
      ? ["  (no attempts: every task was resumed from the store or skipped)"]
      : table(["TASK", "ATTEMPT", "STATUS", "STARTED", "DURATION", "ERROR"], rows).map(
          (line) => `  ${line}`,
        );
  io.stdout.write(`${[...header, "", ...body].join("\n")}\n`);
  return ExitCode.OK;
}

/** The run with this id, or the only recent one whose id starts with it. */
async function findRun(
  store: StateStore,
  location: StateLocation,
  workflow: string | undefined,
  id: string,
): Promise<RunRecord> {
  const [exact] = await store.listRuns({ runId: id, limit: 1 });
  if (exact) return exact;
  const matches = (await store.listRuns({ workflow, limit: PREFIX_SEARCH })).filter((run) =>
    run.runId.startsWith(id),
  );
  if (matches.length === 1) return matches[0] as RunRecord;
  if (matches.length > 1) {
    throw new UsageError(
      `--run ${id} matches ${matches.length} runs (${matches
        .slice(0, 5)
        .map((r) => r.runId)
        .join(", ")}${matches.length > 5 ? ", …" : ""}); give more of the id.`,
    );
  }
  throw new UsageError(
    `--run ${id}: no run with that id in ${location.url}. List runs with: flowweaver history`,
  );
}

function runDuration(run: RunRecord): string {
  return run.finishedAt === undefined ? "" : formatSeconds((run.finishedAt - run.startedAt) / 1000);
}
