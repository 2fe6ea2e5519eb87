import { ConfigurationError } from "../core/errors.js";
import { Workflow } from "../core/workflow.js";

/** What the dashboard knows of a workflow beyond its store: its tasks, their edges and descriptions. */
export interface WorkflowGraph {
  readonly description: string | null;
  /** Task names in the order the workflow added them. */
  readonly order: readonly string[];
  readonly tasks: ReadonlyMap<string, GraphTask>;
}

export interface GraphTask {
  readonly dependsOn: readonly string[];
  readonly description: string | null;
}

/**
 * Reads the graphs of workflows loaded from their files (the store keeps no edges), by
 * workflow name. Each workflow is validated first, so an unknown dependency or a cycle is
 * reported when the dashboard starts rather than drawn.
 */
export function readGraphs(workflows: readonly Workflow[]): ReadonlyMap<string, WorkflowGraph> {
  if (!Array.isArray(workflows)) {
    throw new ConfigurationError(
      `startDashboard option "workflows" must be an array of Workflow objects; got ${typeof workflows}.`,
    );
  }
  const graphs = new Map<string, WorkflowGraph>();
  for (const [i, workflow] of workflows.entries()) {
    if (!(workflow instanceof Workflow)) {
      throw new ConfigurationError(
        `startDashboard option "workflows"[${i}] must be a Workflow; got ${describe(workflow)}.`,
      );
    }
    if (graphs.has(workflow.name)) {
      throw new ConfigurationError(
        `startDashboard option "workflows" lists two workflows named "${workflow.name}"; give each name once.`,
      );
    }
    workflow.validate();
    const tasks = new Map<string, GraphTask>();
    for (const node of workflow.tasks) {
      tasks.set(node.name, {
        dependsOn: [...workflow.dependenciesOf(node.name)],
        description: node.description ?? null,
      });
    }
    graphs.set(workflow.name, {
      description: workflow.description ?? null,
      order: workflow.tasks.map((node) => node.name),
      tasks,
    });
  }
  return graphs;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value;
}
