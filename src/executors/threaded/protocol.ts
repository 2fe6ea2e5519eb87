/**
 * Messages between the main thread and a FlowWeaver worker thread: one discriminated
 * union each way, all on the worker's own port so that a task's `started`, its log lines
 * and its outcome arrive in the order the worker sent them. Values cross as
 * {@link EncodedValue} (the stores' serialization), errors as {@link SerializedError}.
 */
import type { SerializedError } from "../../core/errors.js";
import type { EncodedValue } from "../../core/serialization.js";

/** What the bootstrap reads from `workerData`. */
export interface WorkerBootData {
  /** URL of the worker module (`worker.js`, or `worker.ts` when FlowWeaver runs from source). */
  readonly entry: string;
  /** Register tsx before loading `entry` (FlowWeaver from source, or a parent under tsx). */
  readonly tsx: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  | {
      readonly type: "run";
      readonly id: number;
      readonly module: string;
      readonly workflow: string;
      readonly task: string;
      /** Each dependency's name and encoded result. */
      readonly inputs: readonly (readonly [string, EncodedValue])[];
      readonly params: EncodedValue;
      readonly attempt: number;
      readonly runId: string;
      readonly runKey: string;
      /** The task has a timeout: report `started`, when its clock starts. */
      readonly timed: boolean;
    }
  /** Import the module and list the workflow's tasks, to fail a run early and clearly. */
  | {
      readonly type: "probe";
      readonly id: number;
      readonly module: string;
      readonly workflow: string;
    }
  /** The attempt's signal aborted: abort the task's `ctx.signal` (the thread is terminated next). */
  | { readonly type: "abort"; readonly id: number; readonly reason: SerializedError };

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Worker → main thread. */
export type FromWorker =
  /** The task function is about to be called: its timeout starts now, not at module import. Sent for tasks with a timeout only. */
  | { readonly type: "started"; readonly id: number }
  | {
      readonly type: "log";
      readonly id: number;
      readonly level: LogLevel;
      readonly message: string;
      readonly fields: Record<string, unknown> | undefined;
    }
  | { readonly type: "result"; readonly id: number; readonly value: EncodedValue }
  | { readonly type: "error"; readonly id: number; readonly error: SerializedError }
  | { readonly type: "probed"; readonly id: number; readonly tasks: readonly string[] };
