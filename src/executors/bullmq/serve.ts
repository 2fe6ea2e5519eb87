/**
 * The workflows a worker process serves, by name: imported from its module the way a
 * worker thread imports one (through tsx for TypeScript, and without running a workflow
 * that the module executes at its top level), or given as objects.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { show } from "../../core/duration.js";
import { ConfigurationError, describeThrown } from "../../core/errors.js";
import {
  ambiguousWorkflow,
  exportedWorkflows,
  isTypeScript,
  registerTsx,
  type WorkerWords,
  type WorkflowLike,
} from "../shared/lookup.js";
import { markWorkerThread } from "../threaded/marker.js";

export const WORDS: WorkerWords = { one: "a worker process", many: "worker processes" };

/** What a worker serves. */
export interface Served {
  /** Where the workflows come from, for messages: the module's URL, or "startWorker({ workflow })". */
  readonly source: string;
  readonly workflows: ReadonlyMap<string, WorkflowLike>;
}

/**
 * Marks the code that runs while a worker imports a workflow module (its top level, and
 * what that starts), so `execute` called there runs nothing: the process may also be a
 * coordinator, whose own calls must still run. Installed once per process.
 */
const importing = new AsyncLocalStorage<true>();
let marked = false;

function markModuleCode(): void {
  if (marked) return;
  markWorkerThread(() => importing.getStore() !== true);
  marked = true;
}

/** The URL of a module given as a path (absolute, or relative to `cwd`) or a URL. */
export function moduleUrl(module: unknown, cwd: string = process.cwd()): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== "string" || module === "") {
    throw new ConfigurationError(
      `startWorker option "module" must be the path or file URL of the module that exports the workflows; got ${show(module)}.`,
    );
  }
  if (module.startsWith("file:")) return new URL(module).href;
  return pathToFileURL(isAbsolute(module) ? module : resolve(cwd, module)).href;
}

/** Imports `url` and collects the workflows it exports, by name. */
export async function serveModule(url: string): Promise<Served> {
  markModuleCode();
  if (isTypeScript(url)) await registerTsx(url, WORDS);
  let exports: Record<string, unknown>;
  try {
    exports = (await importing.run(true, () => import(url))) as Record<string, unknown>;
  } catch (error) {
    const detail =
      error instanceof Error ? `${error.name}: ${error.message}` : describeThrown(error);
    throw new ConfigurationError(
      `A worker process could not import ${url}: ${detail}. Check that the module imports cleanly on its own (node ${url.startsWith("file:") ? new URL(url).pathname : url}).`,
      { code: "MODULE_IMPORT_FAILED", cause: error },
    );
  }
  const found = exportedWorkflows(exports);
  if (found.size === 0) {
    const names = Object.keys(exports);
    throw new ConfigurationError(
      `${url} exports no workflow (its exports: ${names.length > 0 ? names.join(", ") : "none"}), so a worker process has nothing to run. Export the workflow from the module that creates it: \`export default wf\` or \`export const wf = new Workflow(…)\`.`,
      { code: "WORKFLOW_NOT_EXPORTED" },
    );
  }
  const workflows = new Map<string, WorkflowLike>();
  for (const workflow of found.keys()) {
    if (workflows.has(workflow.name)) {
      const matches = [...found].filter(([w]) => w.name === workflow.name);
      throw ambiguousWorkflow(url, workflow.name, matches, WORDS);
    }
    workflows.set(workflow.name, workflow);
  }
  return { source: url, workflows };
}

/** Serves workflow objects given directly (a worker inside the coordinator's process). */
export function serveObjects(given: unknown): Served {
  const list = Array.isArray(given) ? given : [given];
  const workflows = new Map<string, WorkflowLike>();
  for (const workflow of list) {
    if (!isWorkflow(workflow)) {
      throw new ConfigurationError(
        `startWorker option "workflow" must be a Workflow or an array of them; got ${show(workflow)}.`,
      );
    }
    if (workflows.has(workflow.name) && workflows.get(workflow.name) !== workflow) {
      throw new ConfigurationError(
        `startWorker option "workflow" has two different workflows named "${workflow.name}", so the worker cannot tell which one to run. Give them different names.`,
        { code: "WORKFLOW_AMBIGUOUS" },
      );
    }
    workflows.set(workflow.name, workflow);
  }
  if (workflows.size === 0) {
    throw new ConfigurationError(
      'startWorker option "workflow" is an empty array: give at least one Workflow.',
    );
  }
  return { source: "startWorker({ workflow })", workflows };
}

function isWorkflow(value: unknown): value is WorkflowLike {
  return exportedWorkflows({ value }).size === 1;
}
