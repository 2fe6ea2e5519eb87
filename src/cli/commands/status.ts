import type { StateStore, StoredTaskState } from "../../index.js";
import { action, type CommandModule } from "../command.js";
import { ExitCode } from "../errors.js";
import { errorLine, formatSeconds, paintStatus, plural, table } from "../format.js";
import { type CliIO, colorsFor } from "../io.js";
import { runKeyOption, stateOption } from "../options.js";
import { nothingStored, withExistingStore } from "../read-store.js";

interface StatusOptions {
  readonly state: string;
  readonly runKey?: string;
  readonly json?: boolean;
}

/** `flowweaver status [WORKFLOW]`: each task's stored status, attempts, duration, last error. */
export const statusCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("status")
      .description("show each task's stored status, attempts, duration and last error")
      .argument("[workflow]", "a workflow name (default: every workflow in the store)")
      .addOption(stateOption())
      .addOption(runKeyOption("only this state partition (default: every run key)"))
      .option("--json", "print the states as one JSON document")
      .action(
        action(exit, (workflow: string | undefined, options: StatusOptions) =>
          status(workflow, options, io),
        ),
      );
  },
};

interface Partition {
  readonly workflow: string;
  readonly runKey: string;
  readonly tasks: StoredTaskState[];
}

async function status(
  workflow: string | undefined,
  options: StatusOptions,
  io: CliIO,
): Promise<number> {
  return withExistingStore("status", options.state, io, async (store, location) => {
    const partitions = store ? await readPartitions(store, workflow, options.runKey) : [];
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ state: location.url, partitions }, null, 2)}\n`);
      return ExitCode.OK;
    }
    if (!store) {
      io.stdout.write(nothingStored(location));
      return ExitCode.OK;
    }
    if (partitions.length === 0) {
      const known = await store.listWorkflows();
      const what = workflow === undefined ? "no workflow" : `nothing for workflow "${workflow}"`;
      const where = options.runKey === undefined ? "" : ` with run key "${options.runKey}"`;
      io.stdout.write(
        `${location.url} holds ${what}${where}.${known.length ? ` Stored workflows: ${known.join(", ")}.` : ""}\n`,
      );
      return ExitCode.OK;
    }
    const c = colorsFor(io.stdout, io.env);
    const blocks = partitions.map((partition) => {
      const counts = new Map<string, number>();
      for (const t of partition.tasks) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
      const tally = [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
      const rows = partition.tasks.map((t) => [
        t.task,
        paintStatus(t.status, c),
        String(t.attempts),
        formatSeconds(t.duration),
        errorLine(t.error),
      ]);
      return [
        `${c.bold(partition.workflow)} ${c.dim(`(run key ${partition.runKey})`)}: ${plural(partition.tasks.length, "task")}, ${tally}`,
        ...table(["TASK", "STATUS", "ATTEMPTS", "DURATION", "LAST ERROR"], rows).map(
          (line) => `  ${line}`,
        ),
      ].join("\n");
    });
    io.stdout.write(`${blocks.join("\n\n")}\n`);
    return ExitCode.OK;
  });
}

async function readPartitions(
  store: StateStore,
  workflow: string | undefined,
  runKey: string | undefined,
): Promise<Partition[]> {
  const names = workflow === undefined ? await store.listWorkflows() : [workflow];
  const partitions: Partition[] = [];
  for (const name of names) {
    const byKey = new Map<string, StoredTaskState[]>();
    for (const state of await store.listTaskStates(name, runKey)) {
      let tasks = byKey.get(state.runKey);
      if (!tasks) {
        tasks = [];
        byKey.set(state.runKey, tasks);
      }
      tasks.push(state);
    }
    for (const [key, tasks] of [...byKey].sort(([a], [b]) => a.localeCompare(b))) {
      // Run order reads best; tasks that never started (skipped) go last.
      tasks.sort(
        (a, b) =>
          (a.startedAt ?? Number.POSITIVE_INFINITY) - (b.startedAt ?? Number.POSITIVE_INFINITY) ||
          a.task.localeCompare(b.task),
      );
      partitions.push({ workflow: name, runKey: key, tasks });
    }
  }
  return partitions;
}
