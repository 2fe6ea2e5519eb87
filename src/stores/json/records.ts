import type { SerializedError } from "../../core/errors.js";
import type {
  AttemptRecord,
  AttemptStatus,
  RunRecord,
  RunStatus,
  StoredTaskState,
  StoredTaskStatus,
} from "../store.js";
import { timeFromJson } from "./time.js";

/**
 * The checks every journal record passes, on reading and before writing (so the store
 * never writes a line it would later refuse). Each takes a record's JSON object and
 * returns it as the store's type, or throws RecordProblem saying what is wrong.
 */

/** What is wrong with a record, in words; the caller adds where. */
export class RecordProblem extends Error {}

const RUN_KEYS = new Set([
  "type",
  "runId",
  "workflow",
  "runKey",
  "status",
  "startedAt",
  "finishedAt",
  "error",
]);
const TASK_KEYS = new Set([
  "type",
  "workflow",
  "runKey",
  "task",
  "status",
  "runId",
  "attempts",
  "startedAt",
  "finishedAt",
  "duration",
  "version",
  "error",
  "result",
]);
const ATTEMPT_KEYS = new Set([
  "type",
  "runId",
  "workflow",
  "task",
  "attempt",
  "status",
  "startedAt",
  "finishedAt",
  "error",
]);
export const CLEAR_KEYS = new Set(["type", "workflow"]);
export const COMMIT_KEYS = new Set(["type", "records"]);
const ERROR_KEYS = new Set(["name", "message", "code", "taskName", "stack"]);
const RUN_STATUSES: ReadonlySet<string> = new Set<RunStatus>([
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "CANCELLED",
]);
const TASK_STATUSES: ReadonlySet<string> = new Set<StoredTaskStatus>([
  "PENDING",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "SKIPPED",
]);
const ATTEMPT_STATUSES: ReadonlySet<string> = new Set<AttemptStatus>([
  "RUNNING",
  "COMPLETED",
  "FAILED",
]);

export function readRun(data: Record<string, unknown>): RunRecord {
  only(data, RUN_KEYS, "run");
  return {
    runId: string(data, "runId"),
    workflow: string(data, "workflow"),
    runKey: string(data, "runKey"),
    status: oneOf(data, "status", RUN_STATUSES) as RunStatus,
    startedAt: time(data, "startedAt"),
    finishedAt: optionalTime(data, "finishedAt"),
    error: optionalError(data),
  };
}

export function readAttempt(data: Record<string, unknown>): AttemptRecord {
  only(data, ATTEMPT_KEYS, "attempt");
  return {
    runId: string(data, "runId"),
    workflow: string(data, "workflow"),
    task: string(data, "task"),
    attempt: count(data, "attempt", 1),
    status: oneOf(data, "status", ATTEMPT_STATUSES) as AttemptStatus,
    startedAt: time(data, "startedAt"),
    finishedAt: optionalTime(data, "finishedAt"),
    error: optionalError(data),
  };
}

export function readTask(data: Record<string, unknown>, hasResult: boolean): StoredTaskState {
  only(data, TASK_KEYS, "task");
  const duration = data.duration;
  if (duration !== undefined && (typeof duration !== "number" || !Number.isFinite(duration))) {
    throw new RecordProblem(`"duration" must be a number of seconds; got ${show(duration)}`);
  }
  return {
    workflow: string(data, "workflow"),
    runKey: string(data, "runKey"),
    task: string(data, "task"),
    status: oneOf(data, "status", TASK_STATUSES) as StoredTaskStatus,
    runId: string(data, "runId"),
    attempts: count(data, "attempts", 0),
    startedAt: optionalTime(data, "startedAt"),
    finishedAt: optionalTime(data, "finishedAt"),
    duration,
    version: optionalString(data, "version"),
    error: optionalError(data),
    hasResult,
  };
}

export function only(data: Record<string, unknown>, keys: ReadonlySet<string>, type: string): void {
  for (const key in data) {
    if (!keys.has(key)) throw new RecordProblem(`unknown field "${key}" in a ${type} record`);
  }
}

export function string(data: Record<string, unknown>, key: string): string {
  const value = data[key];
  if (typeof value !== "string") {
    throw new RecordProblem(`"${key}" must be a string; got ${show(value)}`);
  }
  return value;
}

export function optionalString(data: Record<string, unknown>, key: string): string | undefined {
  return data[key] === undefined ? undefined : string(data, key);
}

export function count(data: Record<string, unknown>, key: string, min: number): number {
  const value = data[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RecordProblem(`"${key}" must be an integer >= ${min}; got ${show(value)}`);
  }
  return value;
}

function oneOf(data: Record<string, unknown>, key: string, allowed: ReadonlySet<string>): string {
  const value = data[key];
  if (typeof value !== "string" || !allowed.has(value)) {
    throw new RecordProblem(
      `"${key}" must be one of ${[...allowed].join(", ")}; got ${show(value)}`,
    );
  }
  return value;
}

function time(data: Record<string, unknown>, key: string): number {
  const ms = timeFromJson(data[key]);
  if (ms === undefined) {
    throw new RecordProblem(
      `"${key}" must be an ISO time or epoch milliseconds; got ${show(data[key])}`,
    );
  }
  return ms;
}

function optionalTime(data: Record<string, unknown>, key: string): number | undefined {
  return data[key] === undefined ? undefined : time(data, key);
}

export function optionalError(data: Record<string, unknown>): SerializedError | undefined {
  const error = data.error;
  if (error === undefined) return undefined;
  if (!isObject(error)) {
    throw new RecordProblem(
      `"error" must be an object with a name and message; got ${show(error)}`,
    );
  }
  only(error, ERROR_KEYS, "error");
  const name = string(error, "name");
  const message = string(error, "message");
  const code = optionalString(error, "code");
  const taskName = optionalString(error, "taskName");
  const stack = optionalString(error, "stack");
  return {
    name,
    message,
    ...(code === undefined ? {} : { code }),
    ...(stack === undefined ? {} : { stack }),
    ...(taskName === undefined ? {} : { taskName }),
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return preview(text);
}

export function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
