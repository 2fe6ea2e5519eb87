/**
 * The code of a FlowWeaver worker thread (started through bootstrap.mjs). It runs one
 * attempt at a time, as the main thread's pool hands them over: it imports the
 * workflow's module, finds the task by name, calls it with a context whose signal and
 * logger talk to the main thread, and posts back the encoded result or the serialized
 * error.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { parentPort } from "node:worker_threads";
import { deserializeError, serializeError } from "../../core/errors.js";
import type { TaskLogger } from "../../core/logger.js";
import { decodeValue, encodeValue } from "../../core/serialization.js";
import type { TaskContext } from "../../core/task.js";
import { findTask, loadWorkflow } from "./lookup.js";
import { markWorkerThread } from "./marker.js";
import type { FromWorker, LogLevel, ToWorker } from "./protocol.js";

const port = parentPort;
if (!port) {
  throw new Error(
    "FlowWeaver's worker module was loaded outside a worker thread; ThreadedExecutor starts it itself.",
  );
}

const taskScope = new AsyncLocalStorage<true>();
markWorkerThread(() => taskScope.getStore() === true);

/** Abort controllers of the attempts running in this thread (one at a time, by design). */
const running = new Map<number, AbortController>();

const post = (message: FromWorker): void => port.postMessage(message);

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "run":
      void run(message);
      break;
    case "probe":
      void probe(message);
      break;
    case "abort":
      running.get(message.id)?.abort(deserializeError(message.reason));
      break;
  }
});

async function probe(message: Extract<ToWorker, { type: "probe" }>): Promise<void> {
  try {
    const workflow = await loadWorkflow(message.module, message.workflow);
    post({ type: "probed", id: message.id, tasks: workflow.tasks.map((t) => t.name) });
  } catch (error) {
    post({ type: "error", id: message.id, error: serializeError(error) });
  }
}

async function run(message: Extract<ToWorker, { type: "run" }>): Promise<void> {
  const { id, task: taskName } = message;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    // Imported outside taskScope: module code that calls execute() must see it is not in a task.
    const workflow = await loadWorkflow(message.module, message.workflow);
    const fn = findTask(workflow, taskName, message.module);
    // Null-prototype, as on the event loop (see the scheduler's inputs).
    const inputs = Object.create(null) as Record<string, unknown>;
    for (const [dep, encoded] of message.inputs) inputs[dep] = decodeValue(encoded);
    const ctx: TaskContext = {
      signal: controller.signal,
      attempt: message.attempt,
      taskName,
      workflowName: message.workflow,
      runId: message.runId,
      runKey: message.runKey,
      params: Object.freeze(decodeValue(message.params) as Record<string, unknown>),
      log: workerLogger(id),
    };
    if (message.timed) post({ type: "started", id });
    const value = await taskScope.run(true, () => fn(inputs, ctx));
    post({
      type: "result",
      id,
      value: encodeValue(value, `result of task "${taskName}"`, taskName),
    });
  } catch (error) {
    post({ type: "error", id, error: serializeError(error) });
  } finally {
    running.delete(id);
  }
}

function workerLogger(id: number): TaskLogger {
  const at =
    (level: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      post({ type: "log", id, level, message: String(message), fields: cloneable(fields) });
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Log fields as they can cross: each value that structured clone refuses becomes text. */
function cloneable(
  fields: Record<string, unknown> | undefined,
): Record<string, unknown> | undefined {
  if (fields === undefined || fields === null || typeof fields !== "object") return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    try {
      out[key] = structuredClone(value);
    } catch {
      out[key] =
        typeof value === "function" ? `[function ${value.name || "anonymous"}]` : String(value);
    }
  }
  return out;
}
