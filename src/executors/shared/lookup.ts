/**
 * What every FlowWeaver worker (a thread of the ThreadedExecutor, a process of the
 * BullMQExecutor) does to find the code of a task: import a workflow's module (through
 * tsx when it is TypeScript), find workflows among its exports by name, then a task by
 * name. Messages name the kind of worker, so each says how to fix it in its own terms.
 */
import { ConfigurationError, describeThrown } from "../../core/errors.js";
import type { TaskFn } from "../../core/task.js";

/** The part of a Workflow a worker needs; duck-typed so another copy of FlowWeaver works. */
export interface WorkflowLike {
  readonly name: string;
  hasTask(name: string): boolean;
  getTask(name: string): { readonly name: string; readonly definition: { readonly fn: unknown } };
  readonly tasks: readonly { readonly name: string }[];
}

/** How messages name the worker: `{ one: "a worker thread", many: "worker threads" }`. */
export interface WorkerWords {
  readonly one: string;
  readonly many: string;
}

const TS_EXTENSION = /\.(?:[cm]?ts|tsx)$/i;

let tsxReady: Promise<void> | undefined;

/** Tells the lookup that tsx is already registered (a worker thread's bootstrap did it). */
export function tsxAlreadyRegistered(): void {
  tsxReady ??= Promise.resolve();
}

/** True when `moduleUrl` names a TypeScript file, which needs tsx to import. */
export function isTypeScript(moduleUrl: string): boolean {
  return TS_EXTENSION.test(new URL(moduleUrl).pathname);
}

/** tsx lets a worker import TypeScript; registered once, on first need. */
export function registerTsx(moduleUrl: string, words: WorkerWords): Promise<void> {
  tsxReady ??= import("tsx/esm/api").then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      throw new ConfigurationError(
        `${moduleUrl} is TypeScript, and ${words.many} need tsx to import it, but tsx could not be loaded (${describeThrown(error)}). Install it (npm install --save-dev tsx) or run the compiled JavaScript.`,
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

/**
 * The workflows a module exports, each with the names it is exported under: one object
 * exported twice (`export default wf` and `export { wf }`) is one workflow.
 */
export function exportedWorkflows(exports: Record<string, unknown>): Map<WorkflowLike, string[]> {
  const found = new Map<WorkflowLike, string[]>();
  for (const [exportName, value] of Object.entries(exports)) {
    if (!isWorkflowLike(value)) continue;
    const names = found.get(value);
    if (names) names.push(exportName);
    else found.set(value, [exportName]);
  }
  return found;
}

/** The error for two different exported workflows that share `name`. */
export function ambiguousWorkflow(
  moduleUrl: string,
  name: string,
  matches: readonly (readonly [WorkflowLike, readonly string[]])[],
  words: WorkerWords,
): ConfigurationError {
  const where = matches.map(([, names]) => `"${names.join('" / "')}"`).join(" and ");
  return new ConfigurationError(
    `${moduleUrl} exports ${matches.length} different workflows named "${name}" (exports ${where}), so ${words.one} cannot tell which one to run. Give them different names or export only one.`,
    { code: "WORKFLOW_AMBIGUOUS" },
  );
}

/** The workflow called `name` among a module's exports, or an error saying how to export it. */
export function findWorkflow(
  exports: Record<string, unknown>,
  moduleUrl: string,
  name: string,
  words: WorkerWords,
): WorkflowLike {
  const found = exportedWorkflows(exports);
  const matches = [...found].filter(([workflow]) => workflow.name === name);
  const [match, second] = matches;
  if (match && !second) return match[0];
  if (match && second) throw ambiguousWorkflow(moduleUrl, name, matches, words);
  const others = [...found.keys()].map((workflow) => `"${workflow.name}"`);
  throw new ConfigurationError(
    `${moduleUrl} exports no workflow named "${name}"${others.length > 0 ? ` (it exports ${others.join(", ")})` : ""}, so ${words.many} cannot find its tasks. Export the workflow from the module that creates it: \`export default wf\` or \`export const wf = new Workflow({ name: "${name}", module: import.meta.url })\`.`,
    { code: "WORKFLOW_NOT_EXPORTED" },
  );
}

/** The task function called `taskName` in `workflow`, or an error saying how to add it. */
export function findTask(
  workflow: WorkflowLike,
  taskName: string,
  moduleUrl: string,
  words: WorkerWords,
): TaskFn {
  if (!workflow.hasTask(taskName)) {
    const names = workflow.tasks.map((t) => `"${t.name}"`).join(", ") || "none";
    throw new ConfigurationError(
      `Task "${taskName}" of workflow "${workflow.name}" is not in the workflow that ${moduleUrl} builds when ${words.one} imports it (tasks there: ${names}). Add every task at the module's top level, so that importing the module builds the whole workflow; for workflows built at run time use SequentialExecutor or AsyncExecutor.`,
      { code: "TASK_NOT_IN_MODULE", taskName },
    );
  }
  return workflow.getTask(taskName).definition.fn as TaskFn;
}
