import type { CliIO } from "../io.js";
import type { Progress, ProgressEvent, TaskChange, TaskRow } from "./progress.js";
import { type LogEntry, type RunInfo, type RunReporter, safeJson } from "./reporter.js";

/** The `event` field of each task line; the executor's event names, plus skip and restore. */
const EVENT: Record<TaskChange, string> = {
  restore: "task:restore",
  start: "task:start",
  retry: "task:retry",
  complete: "task:complete",
  error: "task:error",
  skip: "task:skip",
};

/**
 * `--json`: one JSON object per line on stdout, for log shippers. Every line has `time`
 * (ISO 8601), `event`, `runId` and `workflow`; nothing else is written to stdout.
 */
export class JsonReporter implements RunReporter {
  readonly #io: CliIO;
  readonly #progress: Progress;
  readonly #info: RunInfo;

  constructor(io: CliIO, progress: Progress, info: RunInfo) {
    this.#io = io;
    this.#progress = progress;
    this.#info = info;
  }

  event(event: ProgressEvent): void {
    const p = this.#progress;
    switch (event.type) {
      case "run-start":
        this.#write(event.at, "run:start", {
          file: this.#info.file,
          executor: this.#info.executor,
          state: this.#info.state,
          tasks: p.rows.length,
        });
        break;
      case "task":
        this.#write(event.at, EVENT[event.change], taskFields(event.row));
        break;
      case "run-finish": {
        const { result } = event;
        const c = p.counts;
        this.#write(event.at, "run:finish", {
          status: result.status,
          duration: result.duration,
          completed: c.done,
          restored: c.restored,
          failed: c.failed,
          stopped: c.stopped,
          skipped: c.skipped,
          total: p.rows.length,
        });
        break;
      }
    }
  }

  log(entry: LogEntry): void {
    // A task's own fields go under `fields`, so a field it calls `event` or `time` cannot
    // overwrite the line's; the run's own tags are already on every line.
    const { runId: _runId, workflow: _workflow, task, attempt, ...fields } = entry.fields;
    this.#write(Date.now(), entry.source === "console" ? "console" : "log", {
      level: entry.level,
      msg: entry.message,
      task,
      attempt,
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    });
  }

  interrupted(signal: NodeJS.Signals): void {
    this.#write(Date.now(), "run:interrupt", { signal });
  }

  close(): void {}

  #write(at: number, event: string, fields: Record<string, unknown>): void {
    const p = this.#progress;
    const line = safeJson({
      time: new Date(at).toISOString(),
      event,
      runId: p.runId || undefined,
      workflow: p.workflow.name,
      runKey: p.runKey || undefined,
      ...fields,
    });
    this.#io.stdout.write(`${line}\n`);
  }
}

function taskFields(row: TaskRow): Record<string, unknown> {
  return {
    task: row.name,
    status: row.phase,
    attempt: row.attempt,
    duration: row.duration,
    ...(row.error ? { error: errorFields(row.error) } : {}),
    ...(row.phase === "skipped" ? { reason: row.note } : {}),
  };
}

function errorFields(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(typeof code === "string" ? { code } : {}),
  };
}
