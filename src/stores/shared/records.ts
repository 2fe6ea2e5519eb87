import type { SerializedError } from "../../core/errors.js";
import type {
  AttemptRecord,
  AttemptStatus,
  RunRecord,
  RunStatus,
  StoredTaskState,
  StoredTaskStatus,
} from "../store.js";

/**
 * Rows of the SQL stores (SQLite and PostgreSQL have the same columns) turned into the
 * store's records. Rows are read as arrays, the cheapest shape either driver returns: a
 * resume may load a hundred thousand states.
 */

/** A row read as an array of column values. */
export type Row = unknown[];

/** The columns {@link toState} reads, in order, from `task_states s`. */
export const STATE_COLUMNS =
  "s.task, s.status, s.run_id, s.attempts, s.started_at, s.finished_at, s.duration, s.version, s.error, s.result_kind IS NOT NULL";

/** The columns {@link toRun} reads, in order, from `runs`. */
export const RUN_COLUMNS = "run_id, workflow, run_key, status, started_at, finished_at, error";

/** The columns {@link toAttempt} reads, in order, from `runs r JOIN attempts a`. */
export const ATTEMPT_COLUMNS =
  "r.run_id, r.workflow, a.task, a.attempt, a.status, a.started_at, a.finished_at, a.error";

/** A state row, its {@link STATE_COLUMNS} starting at `at`. */
export function toState(workflow: string, runKey: string, row: Row, at: number): StoredTaskState {
  return {
    workflow,
    runKey,
    task: row[at] as string,
    status: row[at + 1] as StoredTaskStatus,
    runId: row[at + 2] as string,
    attempts: row[at + 3] as number,
    startedAt: optional<number>(row[at + 4]),
    finishedAt: optional<number>(row[at + 5]),
    duration: optional<number>(row[at + 6]),
    version: optional<string>(row[at + 7]),
    error: parseError(row[at + 8]),
    hasResult: isTrue(row[at + 9]),
  };
}

/** A run row: its {@link RUN_COLUMNS}. */
export function toRun(row: Row): RunRecord {
  return {
    runId: row[0] as string,
    workflow: row[1] as string,
    runKey: row[2] as string,
    status: row[3] as RunStatus,
    startedAt: row[4] as number,
    finishedAt: optional<number>(row[5]),
    error: parseError(row[6]),
  };
}

/** An attempt row: its {@link ATTEMPT_COLUMNS}. */
export function toAttempt(row: Row): AttemptRecord {
  return {
    runId: row[0] as string,
    workflow: row[1] as string,
    task: row[2] as string,
    attempt: row[3] as number,
    status: row[4] as AttemptStatus,
    startedAt: row[5] as number,
    finishedAt: optional<number>(row[6]),
    error: parseError(row[7]),
  };
}

/** A SQL truth value as the drivers return it: SQLite gives 1 or 0, PostgreSQL true or false. */
function isTrue(value: unknown): boolean {
  return value === true || value === 1;
}

function parseError(text: unknown): SerializedError | undefined {
  return text === null ? undefined : (JSON.parse(text as string) as SerializedError);
}

function optional<T>(value: unknown): T | undefined {
  return value === null ? undefined : (value as T);
}
