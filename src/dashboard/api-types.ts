/**
 * The shapes of the dashboard's JSON API (documented in API.md), shared by the server that
 * builds them and the browser code that draws them. Times are milliseconds since the epoch,
 * durations are seconds; absent values are `null` so every key is always present.
 */

export type RunStatusName = "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
export type TaskStatusName = "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "SKIPPED";
export type AttemptStatusName = "RUNNING" | "COMPLETED" | "FAILED";
/**
 * A task's status within one run. `NOT_RUN`: the run completed without a trace of the task
 * (it was added to the workflow after that run).
 */
export type RunTaskStatusName = TaskStatusName | "NOT_RUN";

/** An error as stored: the stack only where one error is shown in full. */
export interface ApiError {
  readonly name: string;
  readonly message: string;
  readonly code: string | null;
  readonly stack: string | null;
}

export interface RunSummary {
  readonly runId: string;
  readonly workflow: string;
  readonly runKey: string;
  readonly status: RunStatusName;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  /** Seconds; null while the run is in progress. */
  readonly duration: number | null;
  readonly error: ApiError | null;
}

/** A task's current stored state in one partition (workflow, run key). */
export interface TaskStateView {
  readonly task: string;
  readonly runKey: string;
  readonly status: TaskStatusName;
  /** The run that last wrote this state. */
  readonly runId: string;
  readonly attempts: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly duration: number | null;
  readonly version: string | null;
  readonly error: ApiError | null;
  readonly hasResult: boolean;
}

export interface Partition {
  readonly runKey: string;
  /** In run order (by start time); tasks that never started last. */
  readonly tasks: readonly TaskStateView[];
  readonly counts: Readonly<Partial<Record<TaskStatusName, number>>>;
}

export interface WorkflowSummary {
  readonly name: string;
  /** From the workflow file given to `flowweaver ui --file`; null otherwise. */
  readonly description: string | null;
  /** Whether the dashboard knows the workflow's dependencies (from its file). */
  readonly graphKnown: boolean;
  readonly lastRun: RunSummary | null;
  /** Newest first. */
  readonly recentRuns: readonly RunSummary[];
  /** The run keys written last, newest first (at most 10). */
  readonly partitions: readonly Partition[];
  /** How many run keys the workflow has in all. */
  readonly partitionCount: number;
}

/** `GET /api/workflows` */
export interface WorkflowsResponse {
  /** The store being read, such as `sqlite:/srv/app/.flowweaver/state.db`. */
  readonly store: string;
  readonly generatedAt: number;
  readonly workflows: readonly WorkflowSummary[];
}

/** `GET /api/workflows/:name` */
export interface WorkflowResponse {
  readonly store: string;
  readonly generatedAt: number;
  readonly workflow: WorkflowSummary;
  /** Newest first, up to `limit`. */
  readonly runs: readonly RunSummary[];
}

/** `GET /api/runs` */
export interface RunsResponse {
  readonly store: string;
  readonly generatedAt: number;
  readonly runs: readonly RunSummary[];
}

export interface AttemptView {
  readonly task: string;
  readonly attempt: number;
  readonly status: AttemptStatusName;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly duration: number | null;
  readonly error: ApiError | null;
}

/** One task as it stands in one run. */
export interface RunTaskView {
  readonly name: string;
  readonly status: RunTaskStatusName;
  /** Completed by an earlier run and reused by this one, not run again. */
  readonly restored: boolean;
  /** Attempts this run made (for a restored task: the attempts of the run that completed it). */
  readonly attempts: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly duration: number | null;
  /** The last error this task had in this run. */
  readonly error: ApiError | null;
  /** The names it depends on; null when the workflow's file was not given. */
  readonly dependsOn: readonly string[] | null;
  readonly description: string | null;
}

/** `GET /api/runs/:runId` */
export interface RunResponse {
  readonly store: string;
  readonly generatedAt: number;
  readonly run: RunSummary;
  /** Workflow order when the graph is known, else run order. */
  readonly tasks: readonly RunTaskView[];
  /** Every attempt of the run, in start order (errors without stacks). */
  readonly attempts: readonly AttemptView[];
  /** Whether `dependsOn` is known, so the graph has edges. */
  readonly graphKnown: boolean;
}

export interface ResultPreview {
  /** The run whose completion stored the result. */
  readonly runId: string;
  /** What the value is: `string`, `number`, `Array(3)`, `Map(2)`, `Buffer(1024)`, `object`… */
  readonly type: string;
  /** A rendering of the value, cut at {@link RESULT_PREVIEW_CHARS} characters. */
  readonly preview: string;
  readonly truncated: boolean;
}

/** `GET /api/runs/:runId/tasks/:task` */
export interface TaskResponse {
  readonly store: string;
  readonly generatedAt: number;
  readonly run: RunSummary;
  readonly task: RunTaskView;
  /** This run's attempts of the task, errors with stacks. */
  readonly attempts: readonly AttemptView[];
  /** The task's current stored state in the run's partition (possibly from a later run). */
  readonly state: TaskStateView | null;
  /** The stored result, when the current state is a completion with a result. */
  readonly result: ResultPreview | null;
}

/** The body of every 4xx and 5xx answer of the API. */
export interface ErrorResponse {
  readonly error: { readonly code: string; readonly message: string };
}

/** The data of the `change` server-sent event of `GET /api/events`. */
export interface ChangeEvent {
  /** An opaque fingerprint of the store's recent history; it differs after any change. */
  readonly version: string;
}

/** How many characters of a rendered result the API sends at most. */
export const RESULT_PREVIEW_CHARS = 4000;
