import {
  type AnyTask,
  type Executor,
  errorCode,
  type RunResult,
  TaskStatus,
  type Workflow,
} from "../../index.js";

/** What the CLI shows for a task. `stopped`: aborted because the run was interrupted. */
export type Phase = "pending" | "running" | "retrying" | "done" | "failed" | "stopped" | "skipped";

/** One task as the CLI shows it; updated in place as events arrive. */
export interface TaskRow {
  readonly index: number;
  readonly name: string;
  phase: Phase;
  /** The attempt running now, or the attempts made once finished. */
  attempt: number;
  /** Completed in an earlier run: taken from the store, not run again. */
  restored: boolean;
  /** Milliseconds since the epoch when the first attempt started. */
  startedAt: number | undefined;
  /** Seconds, once finished. */
  duration: number | undefined;
  error: Error | undefined;
  /** Why it was skipped, or the error that is being retried. */
  note: string | undefined;
}

export type TaskChange = "restore" | "start" | "retry" | "complete" | "error" | "skip";

export type ProgressEvent =
  | { readonly type: "run-start"; readonly at: number }
  | {
      readonly type: "task";
      readonly change: TaskChange;
      readonly row: TaskRow;
      readonly at: number;
    }
  | { readonly type: "run-finish"; readonly result: RunResult; readonly at: number };

/** Tasks per phase; `restored` are done tasks taken from the store. */
export interface Counts {
  pending: number;
  running: number;
  done: number;
  restored: number;
  failed: number;
  stopped: number;
  skipped: number;
}

const FINAL: ReadonlySet<Phase> = new Set(["done", "failed", "stopped", "skipped"]);

export function isFinal(phase: Phase): boolean {
  return FINAL.has(phase);
}

/**
 * Turns an executor's events into per-task rows and one {@link ProgressEvent} per state
 * change, for the renderers. The executor emits no event for skipped tasks, so they are
 * found by walking the dependents of a failed task once the scheduler has marked them
 * (right after `task:error`), and at the end of the run for tasks a cancellation skipped.
 */
export class Progress {
  readonly workflow: Workflow;
  readonly rows: readonly TaskRow[];
  readonly counts: Counts = {
    pending: 0,
    running: 0,
    done: 0,
    restored: 0,
    failed: 0,
    stopped: 0,
    skipped: 0,
  };
  /** Indexes of tasks running or waiting to retry. */
  readonly active = new Set<number>();
  runId = "";
  runKey = "";
  startedAt = Date.now();
  readonly #nodes: readonly AnyTask[];
  readonly #index = new Map<string, number>();
  readonly #dependents: number[][];
  readonly #listener: (event: ProgressEvent) => void;

  constructor(workflow: Workflow, listener: (event: ProgressEvent) => void) {
    this.workflow = workflow;
    this.#listener = listener;
    this.#nodes = workflow.tasks;
    const rows: TaskRow[] = [];
    this.#dependents = this.#nodes.map(() => []);
    this.#nodes.forEach((node, index) => {
      this.#index.set(node.name, index);
      rows.push({
        index,
        name: node.name,
        phase: "pending",
        attempt: 0,
        restored: false,
        startedAt: undefined,
        duration: undefined,
        error: undefined,
        note: undefined,
      });
    });
    this.rows = rows;
    this.counts.pending = rows.length;
    for (const node of this.#nodes) {
      const j = this.#index.get(node.name) as number;
      for (const dep of workflow.dependenciesOf(node.name)) {
        const d = this.#index.get(dep);
        if (d !== undefined) this.#dependents[d]?.push(j);
      }
    }
  }

  /** Follows one execution of the workflow on `executor`. */
  attach(executor: Executor): void {
    executor.on("run:start", (event) => {
      this.runId = event.runId;
      this.runKey = event.runKey;
      this.startedAt = Date.now();
      const at = this.startedAt;
      this.#listener({ type: "run-start", at });
      for (const row of this.rows) {
        const node = this.#nodes[row.index] as AnyTask;
        if (!node.restored) continue;
        row.restored = true;
        row.attempt = node.attempts;
        row.duration = node.duration;
        this.#move(row, "done");
        this.#emit("restore", row);
      }
    });
    executor.on("task:start", ({ task, attempt }) => {
      const row = this.#row(task);
      if (!row) return;
      row.attempt = attempt;
      row.note = undefined;
      row.error = undefined;
      row.startedAt ??= task.startedAt?.getTime() ?? Date.now();
      this.#move(row, "running");
      this.#emit("start", row);
    });
    executor.on("task:retry", ({ task, error }) => {
      const row = this.#row(task);
      if (!row) return;
      row.note = error.message;
      row.error = error;
      this.#move(row, "retrying");
      this.#emit("retry", row);
    });
    executor.on("task:complete", ({ task }) => {
      const row = this.#row(task);
      if (!row) return;
      row.attempt = task.attempts;
      row.duration = task.duration;
      row.error = undefined;
      row.note = undefined;
      this.#move(row, "done");
      this.#emit("complete", row);
    });
    executor.on("task:error", ({ task, error }) => {
      const row = this.#row(task);
      if (!row) return;
      this.#fail(row, task, error);
      // The scheduler skips the dependents synchronously after emitting this event.
      queueMicrotask(() => this.#findSkipped(row));
    });
    executor.on("run:finish", ({ result }) => {
      for (const row of this.rows) {
        if (isFinal(row.phase)) continue;
        const node = this.#nodes[row.index] as AnyTask;
        if (node.status === TaskStatus.SKIPPED) {
          row.note = result.status === "CANCELLED" ? "the run was stopped" : "a dependency failed";
          this.#move(row, "skipped");
          this.#emit("skip", row);
        } else if (node.status === TaskStatus.FAILED) {
          this.#fail(row, node, node.error);
        }
      }
      this.#listener({ type: "run-finish", result, at: Date.now() });
    });
  }

  #fail(row: TaskRow, node: AnyTask, error: Error | undefined): void {
    row.attempt = node.attempts;
    row.duration = node.duration;
    row.error = error;
    row.note = undefined;
    this.#move(row, errorCode(error) === "CANCELLED" ? "stopped" : "failed");
    this.#emit("error", row);
  }

  #findSkipped(failed: TaskRow): void {
    const stack = [failed.index];
    while (stack.length > 0) {
      const i = stack.pop() as number;
      for (const j of this.#dependents[i] ?? []) {
        const row = this.rows[j] as TaskRow;
        if (row.phase !== "pending" || this.#nodes[j]?.status !== TaskStatus.SKIPPED) continue;
        row.note = `${failed.name} ${failed.phase === "stopped" ? "was stopped" : "failed"}`;
        this.#move(row, "skipped");
        this.#emit("skip", row);
        stack.push(j);
      }
    }
  }

  #row(task: AnyTask): TaskRow | undefined {
    const i = this.#index.get(task.name);
    return i === undefined ? undefined : this.rows[i];
  }

  #move(row: TaskRow, phase: Phase): void {
    this.#count(row, -1);
    row.phase = phase;
    this.#count(row, +1);
    if (phase === "running" || phase === "retrying") this.active.add(row.index);
    else this.active.delete(row.index);
  }

  #count(row: TaskRow, delta: number): void {
    const c = this.counts;
    switch (row.phase) {
      case "pending":
        c.pending += delta;
        break;
      case "running":
      case "retrying":
        c.running += delta;
        break;
      case "done":
        if (row.restored) c.restored += delta;
        else c.done += delta;
        break;
      case "failed":
        c.failed += delta;
        break;
      case "stopped":
        c.stopped += delta;
        break;
      case "skipped":
        c.skipped += delta;
        break;
    }
  }

  #emit(change: TaskChange, row: TaskRow): void {
    this.#listener({ type: "task", change, row, at: Date.now() });
  }
}
