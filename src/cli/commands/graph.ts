import { Option } from "commander";
import type { StoredTaskState } from "../../index.js";
import { action, type CommandModule } from "../command.js";
import { ExitCode } from "../errors.js";
import { GRAPH_FORMATS, type GraphFormat, renderGraph } from "../graph-format.js";
import type { CliIO } from "../io.js";
import { runKeyOption, stateOption, workflowOption } from "../options.js";
import { parseStateUrl } from "../state-url.js";

interface GraphOptions {
  readonly format: GraphFormat;
  readonly state: string;
  readonly runKey?: string;
  readonly workflow?: string;
}

/** `flowweaver graph FILE`: the DAG as Mermaid or DOT, annotated with stored statuses. */
export const graphCommand: CommandModule = {
  register(program, { io }, exit) {
    program
      .command("graph")
      .description("print a workflow's DAG as Mermaid or Graphviz DOT, with stored statuses")
      .argument("<file>", "workflow file (.ts, .mts, .js or .mjs) that exports a Workflow")
      .addOption(
        new Option("--format <format>", "output format").choices(GRAPH_FORMATS).default("mermaid"),
      )
      .addOption(stateOption())
      .addOption(runKeyOption('the state partition to show statuses from (default: "default")'))
      .addOption(workflowOption())
      .addHelpText(
        "after",
        "\nExamples:\n  $ flowweaver graph etl.ts > etl.mmd\n  $ flowweaver graph etl.ts --format dot | dot -Tsvg > etl.svg",
      )
      .action(action(exit, (file: string, options: GraphOptions) => graph(file, options, io)));
  },
};

async function graph(file: string, options: GraphOptions, io: CliIO): Promise<number> {
  const location = parseStateUrl(options.state, io.cwd);
  // Loaded on use, so `--help` and usage errors never load the engine.
  const { loadWorkflow } = await import("../load-workflow.js");
  const { workflow } = await loadWorkflow(file, { cwd: io.cwd, name: options.workflow });
  workflow.validate();
  // Statuses only when a store already exists: drawing a graph never creates one.
  let states = new Map<string, StoredTaskState>();
  if (location.durable && location.exists()) {
    const store = await location.open();
    try {
      states = await store.loadTaskStates(workflow.name, options.runKey ?? "default");
    } finally {
      await store.close();
    }
  }
  const nodes = workflow.tasks.map((task) => ({
    name: task.name,
    dependsOn: workflow.dependenciesOf(task.name),
    status: states.get(task.name)?.status,
  }));
  io.stdout.write(renderGraph(options.format, workflow.name, nodes));
  return ExitCode.OK;
}
