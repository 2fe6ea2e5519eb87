/**
 * Runs the attempt a job describes, in a worker process: finds the task among the served
 * workflows, decodes its params and inputs (reading large ones from the state store),
 * calls it with a real AbortSignal, and turns its outcome into the reply for the
 * coordinator. Never throws: every failure becomes an error reply.
 */
import { FlowWeaverError, serializeError } from "../../core/errors.js";
import { type Logger, taskLogger } from "../../core/logger.js";
import { decodeValue, encodeValue } from "../../core/serialization.js";
import type { TaskContext } from "../../core/task.js";
import type { StateStore } from "../../stores/store.js";
import { findTask } from "../shared/lookup.js";
import { encodedSize, fromWire, type JobData, type Reply, toWire } from "./protocol.js";
import { type Served, WORDS } from "./serve.js";

export interface AttemptEnvironment {
  readonly served: Served;
  readonly store: StateStore | undefined;
  readonly logger: Logger;
  /** `host pid`, for messages. */
  readonly worker: string;
}

/**
 * The reply to send for `data`'s attempt. `started` is called just before the task
 * function, for tasks with a timeout: that is when their clock starts.
 */
export async function runAttempt(
  jobId: string,
  data: JobData,
  signal: AbortSignal,
  env: AttemptEnvironment,
  started: () => void,
): Promise<Reply> {
  const { task: taskName } = data;
  try {
    const workflow = env.served.workflows.get(data.workflow);
    if (!workflow) {
      const names = [...env.served.workflows.keys()].map((name) => `"${name}"`).join(", ");
      throw new FlowWeaverError(
        `Task "${taskName}" of workflow "${data.workflow}" reached worker ${env.worker}, which serves ${names} from ${env.served.source}. Start workers with the module that exports "${data.workflow}", or give each set of workflows a queue of its own (queueName, --queue).`,
        { code: "WORKFLOW_NOT_SERVED", taskName, runId: data.runId },
      );
    }
    const fn = findTask(workflow, taskName, env.served.source, WORDS);
    const inputs = await readInputs(data, env);
    const ctx: TaskContext = {
      signal,
      attempt: data.attempt,
      taskName,
      workflowName: data.workflow,
      runId: data.runId,
      runKey: data.runKey,
      params: Object.freeze(decodeValue(fromWire(data.params)) as Record<string, unknown>),
      log: taskLogger(env.logger, {
        runId: data.runId,
        workflow: data.workflow,
        task: taskName,
        attempt: data.attempt,
      }),
    };
    if (data.timed) started();
    const value = await fn(inputs, ctx);
    const encoded = encodeValue(value, `result of task "${taskName}"`, taskName);
    const payloads = env.store?.payloads;
    if (encodedSize(encoded) > data.inlineLimit && data.storedResults && payloads) {
      await payloads.put(data.workflow, jobId, encoded);
      return { t: "stored", job: jobId, store: env.store?.location ?? "" };
    }
    return { t: "ok", job: jobId, value: toWire(encoded) };
  } catch (error) {
    return { t: "error", job: jobId, error: serializeError(error) };
  }
}

/** The task's inputs: inline ones decoded, large ones read from the shared state store. */
async function readInputs(
  data: JobData,
  env: AttemptEnvironment,
): Promise<Record<string, unknown>> {
  // Null-prototype, as on the event loop: a dependency named "__proto__" is a plain key.
  const inputs = Object.create(null) as Record<string, unknown>;
  for (const [dep, wire] of Object.entries(data.inputs)) {
    if (wire.k !== "stored") {
      inputs[dep] = decodeValue(fromWire(wire));
      continue;
    }
    const store = env.store;
    if (!store) {
      throw new FlowWeaverError(
        `Task "${data.task}" needs the result of "${dep}", which is too large for the queue and was left in the coordinator's state store ${data.store ?? ""}, but worker ${env.worker} has no state store. Start it with --state (stateStore) pointing at that store.`,
        { code: "RESULT_UNAVAILABLE", taskName: data.task, runId: data.runId },
      );
    }
    const value = await store.loadResult(data.workflow, data.runKey, dep);
    if (value === undefined) {
      throw new FlowWeaverError(
        `Task "${data.task}" needs the result of "${dep}" (run key "${data.runKey}"), which the coordinator stored in ${data.store ?? "its state store"}, but worker ${env.worker}'s store ${store.location} has none. Point the worker's --state (stateStore) at the coordinator's store.`,
        { code: "RESULT_UNAVAILABLE", taskName: data.task, runId: data.runId },
      );
    }
    inputs[dep] = value;
  }
  return inputs;
}
