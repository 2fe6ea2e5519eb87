/**
 * Worker side: imports a workflow's module (once per thread) and finds the workflow
 * among its exports by name, then a task by name. Every failure says how to fix it.
 */
import { workerData } from "node:worker_threads";
import { ConfigurationError, describeThrown } from "../../core/errors.js";
import type { TaskFn } from "../../core/task.js";
import type { WorkerBootData } from "./protocol.js";

/** The part of a Workflow the worker needs; duck-typed so another copy of FlowWeaver works. */
interface WorkflowLike {
  readonly name: string;
  hasTask(name: string): boolean;
  getTask(name: string): { readonly name: string; readonly definition: { readonly fn: unknown } };
  readonly tasks: readonly { readonly name: string }[];
}

const TS_EXTENSION = /\.(?:[cm]?ts|tsx)$/i;

let tsxReady: Promise<void> | undefined = (workerData as WorkerBootData).tsx
  ? Promise.resolve() // the bootstrap registered it
  : undefined;
const modules = new Map<string, Promise<Record<string, unknown>>>();
const workflows = new Map<string, WorkflowLike>();

/** The workflow called `name` exported by `moduleUrl`, imported and looked up once per thread. */
export async function loadWorkflow(moduleUrl: string, name: string): Promise<WorkflowLike> {
  const key = `${name}\u0000${moduleUrl}`;
  const known = workflows.get(key);
  if (known) return known;
  const exports = await importModule(moduleUrl, name);
  const workflow = findWorkflow(exports, moduleUrl, name);
  workflows.set(key, workflow);
  return workflow;
}

/** The task function called `taskName` in `workflow`. */
export function findTask(workflow: WorkflowLike, taskName: string, moduleUrl: string): TaskFn {
  if (!workflow.hasTask(taskName)) {
    const names = workflow.tasks.map((t) => `"${t.name}"`).join(", ") || "none";
    throw new ConfigurationError(
      `Task "${taskName}" of workflow "${workflow.name}" is not in the workflow that ${moduleUrl} builds when a worker thread imports it (tasks there: ${names}). Add every task at the module's top level, so that importing the module builds the whole workflow; for workflows built at run time use SequentialExecutor or AsyncExecutor.`,
      { code: "TASK_NOT_IN_MODULE", taskName },
    );
  }
  return workflow.getTask(taskName).definition.fn as TaskFn;
}

function importModule(moduleUrl: string, workflow: string): Promise<Record<string, unknown>> {
  let loading = modules.get(moduleUrl);
  if (!loading) {
    loading = (async () => {
      if (TS_EXTENSION.test(new URL(moduleUrl).pathname)) await registerTsx(moduleUrl);
      try {
        return (await import(moduleUrl)) as Record<string, unknown>;
      } catch (error) {
        const detail =
          error instanceof Error ? `${error.name}: ${error.message}` : describeThrown(error);
        throw new ConfigurationError(
          `A worker thread could not import ${moduleUrl}, the module of workflow "${workflow}": ${detail}. Check that new Workflow({ name, module: import.meta.url }) is in that module and that the module imports cleanly on its own.`,
          { code: "MODULE_IMPORT_FAILED", cause: error },
        );
      }
    })();
    modules.set(moduleUrl, loading);
  }
  return loading;
}

/** tsx lets a worker import TypeScript; registered on first need when the bootstrap did not. */
function registerTsx(moduleUrl: string): Promise<void> {
  tsxReady ??= import("tsx/esm/api").then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      throw new ConfigurationError(
        `${moduleUrl} is TypeScript, and worker threads need tsx to import it, but tsx could not be loaded (${describeThrown(error)}). Install it (npm install --save-dev tsx) or run the compiled JavaScript.`,
        { code: "MODULE_IMPORT_FAILED", cause: error },
      );
    },
  );
  return tsxReady;
}

function isWorkflowLike(value: unknown): value is WorkflowLike {
  const candidate = value as Partial<WorkflowLike> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.name === "string" &&
    typeof candidate.hasTask === "function" &&
    typeof candidate.getTask === "function" &&
    Array.isArray(candidate.tasks)
  );
}

function findWorkflow(
  exports: Record<string, unknown>,
  moduleUrl: string,
  name: string,
): WorkflowLike {
  // One object exported twice (`export default wf` and `export { wf }`) is one workflow.
  const found = new Map<WorkflowLike, string[]>();
  for (const [exportName, value] of Object.entries(exports)) {
    if (!isWorkflowLike(value)) continue;
    const names = found.get(value);
    if (names) names.push(exportName);
    else found.set(value, [exportName]);
  }
  const matches = [...found].filter(([workflow]) => workflow.name === name);
  const [match, second] = matches;
  if (match && !second) return match[0];
  if (match && second) {
    const where = matches.map(([, names]) => `"${names.join('" / "')}"`).join(" and ");
    throw new ConfigurationError(
      `${moduleUrl} exports ${matches.length} different workflows named "${name}" (exports ${where}), so a worker thread cannot tell which one to run. Give them different names or export only one.`,
      { code: "WORKFLOW_AMBIGUOUS" },
    );
  }
  const others = [...found.keys()].map((workflow) => `"${workflow.name}"`);
  throw new ConfigurationError(
    `${moduleUrl} exports no workflow named "${name}"${others.length > 0 ? ` (it exports ${others.join(", ")})` : ""}, so worker threads cannot find its tasks. Export the workflow from the module that creates it: \`export default wf\` or \`export const wf = new Workflow({ name: "${name}", module: import.meta.url })\`.`,
    { code: "WORKFLOW_NOT_EXPORTED" },
  );
}
