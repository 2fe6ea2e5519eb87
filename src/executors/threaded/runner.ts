/**
 * Runs attempts on worker threads: the ThreadedExecutor's AttemptRunner. The scheduler
 * decides everything else; this runner moves an attempt into a thread, starts its
 * timeout when the task function starts there, and, on timeout or cancellation,
 * terminates the thread so that even a synchronous endless loop ends.
 */
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { ResourceLimits } from "node:worker_threads";
import { show } from "../../core/duration.js";
import {
  ConfigurationError,
  deserializeError,
  FlowWeaverError,
  serializeError,
  toError,
} from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AttemptRequest, AttemptRunner } from "../../core/scheduler.js";
import { decodeValue, type EncodedValue, encodeValue, pathTo } from "../../core/serialization.js";
import type { Workflow } from "../../core/workflow.js";
import { type PooledThread, type ThreadDeath, WorkerPool } from "./pool.js";
import type { FromWorker, ToWorker } from "./protocol.js";

export interface ThreadRunnerOptions {
  readonly maxWorkers: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly logger: Logger;
}

/** FlowWeaver runs from source (tests, tsx) when this file is TypeScript. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");

export class ThreadRunner implements AttemptRunner {
  readonly concurrency: number;
  readonly armsTimeout = true;
  readonly #pool: WorkerPool;
  readonly #resourceLimits: ResourceLimits | undefined;
  /** Encoded `params` by run: the same frozen object reaches every attempt of a run. */
  readonly #params = new WeakMap<object, EncodedValue>();
  #nextId = 0;

  constructor(options: ThreadRunnerOptions) {
    this.concurrency = options.maxWorkers;
    this.#resourceLimits = options.resourceLimits;
    this.#pool = new WorkerPool({
      size: options.maxWorkers,
      bootstrap: new URL("./bootstrap.mjs", import.meta.url),
      boot: {
        entry: new URL(FROM_SOURCE ? "./worker.ts" : "./worker.js", import.meta.url).href,
        tsx: FROM_SOURCE || underTsx(),
      },
      resourceLimits: options.resourceLimits,
      logger: options.logger,
    });
  }

  /** Threads alive now. */
  get threads(): number {
    return this.#pool.size;
  }

  /**
   * Imports the workflow's module in a worker and checks that every task is found there,
   * so that a workflow threads cannot run fails before any task starts.
   */
  async prepare(workflow: Workflow): Promise<void> {
    const module = moduleUrlOf(workflow);
    const thread = await this.#pool.acquire();
    const tasks = await this.#call<string[]>(thread, (id) => ({
      type: "probe",
      id,
      module,
      workflow: workflow.name,
    })).catch((error: unknown) => {
      throw describeProbeFailure(error, workflow, module);
    });
    const there = new Set(tasks);
    const missing = workflow.tasks.map((t) => t.name).filter((name) => !there.has(name));
    if (missing.length > 0) {
      throw new ConfigurationError(
        `Workflow "${workflow.name}" cannot run on threads: importing ${module} in a worker builds the workflow without task${missing.length === 1 ? "" : "s"} ${missing.map((n) => `"${n}"`).join(", ")} (it has ${tasks.map((n) => `"${n}"`).join(", ") || "no tasks"}). Add every task at the module's top level, so that importing the module builds the whole workflow; for workflows built at run time use SequentialExecutor or AsyncExecutor.`,
        { code: "TASK_NOT_IN_MODULE", taskName: missing[0] as string },
      );
    }
  }

  async runAttempt(request: AttemptRequest): Promise<unknown> {
    const { task, ctx, workflow } = request;
    const name = task.name;
    const module = moduleUrlOf(workflow);
    const inputs = encodeInputs(request.inputs, name);
    const params = this.#encodeParams(ctx.params, name);
    const thread = await this.#pool.acquire(ctx.signal);
    const message = (id: number): ToWorker => ({
      type: "run",
      id,
      module,
      workflow: workflow.name,
      task: name,
      inputs,
      params,
      attempt: ctx.attempt,
      runId: ctx.runId,
      runKey: ctx.runKey,
      timed: task.options.timeoutMs !== undefined,
    });
    const encoded = await this.#call<EncodedValue>(thread, message, request);
    return decodeValue(encoded);
  }

  /** Terminates every thread. */
  close(): Promise<void> {
    return this.#pool.close();
  }

  /**
   * Sends one job to a thread and settles with its answer. With a request (an attempt), the
   * thread's `started` starts the timeout, its log lines reach ctx.log, and an abort of
   * ctx.signal tells the thread, terminates it and rejects with the signal's reason.
   */
  #call<T>(
    thread: PooledThread,
    make: (id: number) => ToWorker,
    request?: AttemptRequest,
  ): Promise<T> {
    const id = ++this.#nextId;
    const signal = request?.ctx.signal;
    return new Promise<T>((resolve, reject) => {
      const done = () => signal?.removeEventListener("abort", onAbort);
      const onAbort = () => {
        done();
        try {
          thread.send({ type: "abort", id, reason: serializeError(signal?.reason) });
        } finally {
          this.#pool.retire(thread);
          reject(toError(signal?.reason));
        }
      };
      thread.user = {
        onMessage: (answer: FromWorker) => {
          if (answer.id !== id) return; // a late line from an attempt already given up
          switch (answer.type) {
            case "started":
              request?.armTimeout();
              break;
            case "log":
              request?.ctx.log[answer.level](answer.message, answer.fields);
              break;
            case "result":
              done();
              this.#pool.release(thread);
              resolve(answer.value as T);
              break;
            case "probed":
              done();
              this.#pool.release(thread);
              resolve(answer.tasks as T);
              break;
            case "error":
              done();
              this.#pool.release(thread);
              reject(deserializeError(answer.error));
              break;
          }
        },
        onDeath: (death) => {
          done();
          reject(threadDied(death, request, this.#resourceLimits));
        },
      };
      if (signal?.aborted) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        thread.send(make(id));
      } catch (error) {
        done();
        this.#pool.release(thread);
        reject(error);
      }
    });
  }

  #encodeParams(params: Readonly<Record<string, unknown>>, taskName: string): EncodedValue {
    let encoded = this.#params.get(params);
    if (!encoded) {
      encoded = encodeValue(
        params,
        `params of the run (sent to task "${taskName}")`,
        taskName,
        "params",
      );
      this.#params.set(params, encoded);
    }
    return encoded;
  }
}

/** The workflow's module as a URL a worker can import, or a ConfigurationError saying how to set it. */
export function moduleUrlOf(workflow: Workflow): string {
  const module = workflow.module;
  if (module === undefined) {
    throw new ConfigurationError(
      `Workflow "${workflow.name}" has no module, so ThreadedExecutor's worker threads cannot find its tasks. Create it with new Workflow({ name: "${workflow.name}", module: import.meta.url }) and export it from that module (export default, or a named export).`,
      { code: "WORKFLOW_MODULE_MISSING" },
    );
  }
  if (isAbsolute(module)) return pathToFileURL(module).href;
  try {
    return new URL(module).href;
  } catch {
    throw new ConfigurationError(
      `Workflow "${workflow.name}": module must be the URL of the defining module (import.meta.url) or an absolute path; got ${show(module)}.`,
      { code: "WORKFLOW_MODULE_MISSING" },
    );
  }
}

/** True when this process was started under tsx (`tsx file.ts`, `node --import tsx`). */
function underTsx(): boolean {
  return process.execArgv.some((arg) => /(?:^|[\\/])tsx(?:$|[\\/])/.test(arg));
}

function describeProbeFailure(error: unknown, workflow: Workflow, module: string): Error {
  const err = toError(error);
  if (err instanceof FlowWeaverError && err.code !== "WORKER_CRASHED") return err;
  return new ConfigurationError(
    `Workflow "${workflow.name}" cannot run on threads: ${err.message} Check that ${module} imports cleanly on its own, outside the main thread.`,
    { code: "MODULE_IMPORT_FAILED", cause: err },
  );
}

/** The error an attempt (or a probe, without `request`) fails with when its thread died. */
function threadDied(
  death: ThreadDeath,
  request: AttemptRequest | undefined,
  limits: ResourceLimits | undefined,
): FlowWeaverError {
  const { error, exitCode } = death;
  if ((error as { code?: unknown } | undefined)?.code === "EXECUTOR_CLOSED") {
    return error as FlowWeaverError;
  }
  const options = {
    code: "WORKER_CRASHED",
    ...(request ? { taskName: request.task.name, runId: request.ctx.runId } : {}),
    ...(error ? { cause: error } : {}),
  };
  if (!request) {
    const reason =
      (error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY"
        ? "ran out of memory"
        : error
          ? `threw an uncaught ${error.name}: ${error.message}`
          : `exited with code ${exitCode}`;
    return new FlowWeaverError(
      `a worker thread ${reason} while importing the workflow's module.`,
      options,
    );
  }
  const who = `Task "${request.task.name}" (attempt ${request.ctx.attempt})`;
  let what: string;
  if ((error as { code?: unknown } | undefined)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
    const heap = limits?.maxOldGenerationSizeMb;
    what = `ran its worker thread out of memory${heap === undefined ? "" : ` (resourceLimits.maxOldGenerationSizeMb: ${heap})`}. Raise the ThreadedExecutor's resourceLimits or make the task use less memory`;
  } else if (error) {
    what = `crashed its worker thread with an uncaught ${error.name}: ${error.message} (thrown outside the task's own promise chain, e.g. in a timer callback or an unawaited promise)`;
  } else {
    what = `ended its worker thread with exit code ${exitCode} (process.exit() in a thread ends the thread) before returning. A task must return or throw, not exit`;
  }
  return new FlowWeaverError(`${who} ${what}. The thread was replaced.`, options);
}

/**
 * Each input encoded on its own, beside its name: an object keyed by task names would go
 * through superjson, which refuses keys such as "constructor" and "__proto__".
 */
function encodeInputs(
  inputs: Readonly<Record<string, unknown>>,
  taskName: string,
): [string, EncodedValue][] {
  const label = `inputs of task "${taskName}"`;
  return Object.keys(inputs).map((dep) => {
    return [dep, encodeValue(inputs[dep], label, taskName, pathTo("inputs", dep))];
  });
}
