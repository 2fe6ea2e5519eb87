import { errorLine, formatSeconds, plural } from "../format.js";
import type { CliIO, Colors } from "../io.js";
import type { Progress, ProgressEvent, TaskChange, TaskRow } from "./progress.js";
import { type LogEntry, logText, type RunInfo, type RunReporter } from "./reporter.js";
import { summaryLines } from "./summary.js";

const LABEL: Record<TaskChange, string> = {
  restore: "resumed",
  start: "start",
  retry: "retry",
  complete: "done",
  error: "failed",
  skip: "skipped",
};

/**
 * Output for pipes and CI logs: one line per state change, stamped with the time since
 * the run started, and no escape codes.
 */
export class PlainReporter implements RunReporter {
  readonly #io: CliIO;
  readonly #progress: Progress;
  readonly #info: RunInfo;
  readonly #c: Colors;

  constructor(io: CliIO, progress: Progress, info: RunInfo, colors: Colors) {
    this.#io = io;
    this.#progress = progress;
    this.#info = info;
    this.#c = colors;
  }

  event(event: ProgressEvent): void {
    const p = this.#progress;
    switch (event.type) {
      case "run-start":
        this.#line(
          `flowweaver: running ${p.workflow.name} (${plural(p.rows.length, "task")}) from ${this.#info.file} · run ${p.runId} · run key ${p.runKey} · ${this.#info.executor} executor · state ${this.#info.state}`,
        );
        break;
      case "task":
        this.#line(
          `[+${((event.at - p.startedAt) / 1000).toFixed(3)}s] ${label(event.change, event.row).padEnd(7)} ${event.row.name}${detail(event.change, event.row)}`,
        );
        break;
      case "run-finish":
        for (const line of summaryLines(event.result, p, this.#c)) this.#line(line);
        break;
    }
  }

  log(entry: LogEntry): void {
    this.#line(
      `${entry.source === "console" ? "console" : entry.level.padEnd(7)} ${logText(entry)}`,
    );
  }

  interrupted(signal: NodeJS.Signals): void {
    this.#line(
      `flowweaver: ${signal} received: stopping; running tasks are being aborted (send it again to exit at once)`,
    );
  }

  close(): void {}

  #line(text: string): void {
    this.#io.stdout.write(`${text}\n`);
  }
}

function label(change: TaskChange, row: TaskRow): string {
  return change === "error" && row.phase === "stopped" ? "stopped" : LABEL[change];
}

/** What follows a task's name on its line. */
export function detail(change: TaskChange, row: TaskRow): string {
  switch (change) {
    case "restore":
      return ` (from store: ${plural(row.attempt, "attempt")}, ${formatSeconds(row.duration)})`;
    case "start":
      return ` (attempt ${row.attempt})`;
    case "retry":
      return ` (attempt ${row.attempt} failed: ${errorLine(row.error)}; retrying)`;
    case "complete":
      return ` (${plural(row.attempt, "attempt")}, ${formatSeconds(row.duration)})`;
    case "error":
      return ` (${plural(row.attempt, "attempt")}, ${formatSeconds(row.duration)}): ${errorLine(row.error)}`;
    case "skip":
      return ` (${row.note ?? "a dependency failed"})`;
  }
}
