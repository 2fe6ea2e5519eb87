/**
 * Worker side: imports a workflow's module (once per thread) and finds the workflow
 * among its exports by name, then a task by name. Every failure says how to fix it.
 * The lookup itself is shared with the BullMQ worker (../shared/lookup.ts).
 */
import { workerData } from "node:worker_threads";
import { ConfigurationError, describeThrown } from "../../core/errors.js";
import type { TaskFn } from "../../core/task.js";
import {
  findTask as findTaskIn,
  findWorkflow,
  isTypeScript,
  registerTsx,
  tsxAlreadyRegistered,
  type WorkerWords,
  type WorkflowLike,
} from "../shared/lookup.js";
import type { WorkerBootData } from "./protocol.js";

const WORDS: WorkerWords = { one: "a worker thread", many: "worker threads" };

// The bootstrap registered tsx already when it was needed to load this very module.
if ((workerData as WorkerBootData).tsx) tsxAlreadyRegistered();

const modules = new Map<string, Promise<Record<string, unknown>>>();
const workflows = new Map<string, WorkflowLike>();

/** The workflow called `name` exported by `moduleUrl`, imported and looked up once per thread. */
export async function loadWorkflow(moduleUrl: string, name: string): Promise<WorkflowLike> {
  const key = `${name}\u0000${moduleUrl}`;
  const known = workflows.get(key);
  if (known) return known;
  const exports = await importModule(moduleUrl, name);
  const workflow = findWorkflow(exports, moduleUrl, name, WORDS);
  workflows.set(key, workflow);
  return workflow;
}

/** The task function called `taskName` in `workflow`. */
export function findTask(workflow: WorkflowLike, taskName: string, moduleUrl: string): TaskFn {
  return findTaskIn(workflow, taskName, moduleUrl, WORDS);
}

function importModule(moduleUrl: string, workflow: string): Promise<Record<string, unknown>> {
  let loading = modules.get(moduleUrl);
  if (!loading) {
    loading = (async () => {
      if (isTypeScript(moduleUrl)) await registerTsx(moduleUrl, WORDS);
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
