// log-update (sindresorhus) redraws a block of lines in place: it diffs frames, clips
// them to the terminal's height, hides the cursor and restores it on exit, and `persist()`
// prints log lines above the block. That covers the terminal handling; this file only
// decides what the block says.
import { createLogUpdate } from "log-update";
import { errorLine, formatSeconds, plural, truncate } from "../format.js";
import type { CliIO, Colors } from "../io.js";
import type { Phase, Progress, ProgressEvent, TaskRow } from "./progress.js";
import { isFinal } from "./progress.js";
import { type LogEntry, logText, type RunInfo, type RunReporter } from "./reporter.js";
import { summaryLines } from "./summary.js";

const TICK_MS = 100;
const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
/** Finished tasks remembered for the bounded view; a frame never shows more. */
const RECENT_KEPT = 256;

/**
 * The live view on a terminal: every task with its state, attempt and duration, redrawn
 * in place. When there are more tasks than terminal rows it stays bounded: running tasks,
 * failures, the most recently finished and the next pending ones, plus counts.
 */
export class LiveReporter implements RunReporter {
  readonly #io: CliIO;
  readonly #progress: Progress;
  readonly #info: RunInfo;
  readonly #c: Colors;
  readonly #update: ReturnType<typeof createLogUpdate>;
  readonly #timer: NodeJS.Timeout;
  readonly #recent: number[] = [];
  readonly #failures: number[] = [];
  #firstPending = 0;
  #tick = 0;
  #started = false;
  #finished = false;
  #interrupted: NodeJS.Signals | undefined;

  constructor(io: CliIO, progress: Progress, info: RunInfo, colors: Colors) {
    this.#io = io;
    this.#progress = progress;
    this.#info = info;
    this.#c = colors;
    this.#update = createLogUpdate(terminal(io.stdout));
    this.#timer = setInterval(() => {
      this.#tick++;
      this.#render();
    }, TICK_MS);
    // The view must never be what keeps the process alive.
    this.#timer.unref();
  }

  event(event: ProgressEvent): void {
    switch (event.type) {
      case "run-start":
        this.#started = true;
        this.#render();
        break;
      case "task":
        if (isFinal(event.row.phase)) {
          this.#recent.push(event.row.index);
          if (this.#recent.length > 2 * RECENT_KEPT) this.#recent.splice(0, RECENT_KEPT);
          if (event.row.phase === "failed" || event.row.phase === "stopped") {
            this.#failures.push(event.row.index);
          }
        }
        break;
      case "run-finish":
        // The final frame shows how the run ended; the "stopping" banner is over.
        this.#interrupted = undefined;
        // Written whole, not as a diff against the last frame: it stays on the screen.
        if (this.#started) this.#update.persist(this.#frame().join("\n"));
        this.#finished = true;
        this.#update.done();
        clearInterval(this.#timer);
        this.#io.stdout.write(
          `\n${summaryLines(event.result, this.#progress, this.#c).join("\n")}\n`,
        );
        break;
    }
  }

  log(entry: LogEntry): void {
    if (entry.level === "debug") return;
    const c = this.#c;
    const tag =
      entry.source === "console"
        ? ""
        : `${entry.level === "error" ? c.red("error") : entry.level === "warn" ? c.yellow("warn ") : c.dim("info ")} `;
    this.#update.persist(`${tag}${logText(entry)}`);
    this.#render();
  }

  interrupted(signal: NodeJS.Signals): void {
    this.#interrupted = signal;
    this.#render();
  }

  close(): void {
    clearInterval(this.#timer);
    if (!this.#finished) {
      this.#render();
      this.#finished = true;
      this.#update.done();
    }
  }

  #render(): void {
    if (this.#finished || !this.#started) return;
    this.#update(this.#frame().join("\n"));
  }

  #frame(): string[] {
    const p = this.#progress;
    const c = this.#c;
    const width = Math.max(20, (this.#io.stdout.columns || 80) - 1);
    const height = Math.max(8, this.#io.stdout.rows || 24);
    const elapsed = formatSeconds((Date.now() - p.startedAt) / 1000);
    const lines = [
      truncate(
        `${p.workflow.name} · run ${p.runId.slice(0, 8)} · ${this.#info.executor} executor · ${elapsed}`,
        width,
      ),
    ];
    const banner = this.#interrupted
      ? c.yellow(
          truncate(
            `■ ${this.#interrupted}: stopping, running tasks are being aborted (again to exit at once)`,
            width,
          ),
        )
      : undefined;
    // Header, footer, banner and the line the cursor rests on.
    const budget = Math.max(3, height - 3 - (banner ? 1 : 0));
    const shown = this.#choose(budget);
    const nameWidth = Math.min(
      Math.max(4, ...shown.map((i) => [...(p.rows[i] as TaskRow).name].length)),
      Math.max(12, Math.floor(width * 0.4)),
    );
    for (const i of shown) lines.push(this.#row(p.rows[i] as TaskRow, nameWidth, width));
    const hidden = p.rows.length - shown.length;
    if (hidden > 0)
      lines.push(c.dim(truncate(`  … ${plural(hidden, "more task")} not shown`, width)));
    lines.push(this.#footer(width));
    if (banner) lines.push(banner);
    return lines;
  }

  /** The rows to show, in workflow order: all of them when they fit. */
  #choose(budget: number): number[] {
    const p = this.#progress;
    const total = p.rows.length;
    if (total <= budget) return p.rows.map((row) => row.index);
    const room = budget - 1; // one line says how many are hidden
    const chosen = new Set<number>();
    const take = (i: number) => {
      if (chosen.size < room) chosen.add(i);
    };
    for (const i of p.active) take(i);
    for (let k = this.#failures.length - 1; k >= 0 && chosen.size < room; k--) {
      take(this.#failures[k] as number);
    }
    for (let k = this.#recent.length - 1; k >= 0 && chosen.size < room; k--) {
      take(this.#recent[k] as number);
    }
    // Tasks only ever leave "pending", so the first pending one only moves forward.
    while (this.#firstPending < total && p.rows[this.#firstPending]?.phase !== "pending") {
      this.#firstPending++;
    }
    for (let i = this.#firstPending; i < total && chosen.size < room; i++) {
      if (p.rows[i]?.phase === "pending") take(i);
    }
    return [...chosen].sort((a, b) => a - b);
  }

  #row(row: TaskRow, nameWidth: number, width: number): string {
    const c = this.#c;
    const [symbol, color] = this.#look(row);
    const label: string = row.phase;
    const attempts =
      row.phase === "running" || row.phase === "retrying"
        ? `attempt ${row.attempt}`
        : row.phase === "pending" || row.phase === "skipped"
          ? ""
          : plural(row.attempt, "attempt");
    const seconds =
      row.phase === "running" && row.startedAt !== undefined
        ? (Date.now() - row.startedAt) / 1000
        : row.duration;
    const prefix = `${symbol} ${truncate(row.name, nameWidth).padEnd(nameWidth)}  ${label.padEnd(8)}  ${attempts.padEnd(10)}  ${formatSeconds(seconds).padStart(7)}`;
    const note = truncate(this.#note(row), width - prefix.length - 2);
    return note ? `${color(prefix)}  ${c.dim(note)}` : color(prefix.trimEnd());
  }

  #note(row: TaskRow): string {
    switch (row.phase) {
      case "done":
        return row.restored ? "resumed from store" : "";
      case "retrying":
        return `retrying after: ${row.note ?? ""}`;
      case "failed":
      case "stopped":
        return errorLine(row.error);
      case "skipped":
        return row.note ?? "";
      default:
        return "";
    }
  }

  #look(row: TaskRow): [string, (text: string) => string] {
    const c = this.#c;
    const looks: Record<Phase, [string, (text: string) => string]> = {
      pending: ["·", c.dim],
      running: [SPINNER[this.#tick % SPINNER.length] as string, c.cyan],
      retrying: ["↻", c.yellow],
      done: row.restored ? ["↺", c.blue] : ["✔", c.green],
      failed: ["✖", c.red],
      stopped: ["■", c.yellow],
      skipped: ["↷", c.yellow],
    };
    return looks[row.phase];
  }

  #footer(width: number): string {
    const { counts, rows } = this.#progress;
    const c = this.#c;
    const finished =
      counts.done + counts.restored + counts.failed + counts.stopped + counts.skipped;
    const parts: [string, (text: string) => string][] = [
      [`${finished}/${rows.length} finished`, (t) => t],
    ];
    if (counts.running) parts.push([`${counts.running} running`, c.cyan]);
    if (counts.done + counts.restored)
      parts.push([`${counts.done + counts.restored} done`, c.green]);
    if (counts.restored) parts.push([`${counts.restored} from store`, c.blue]);
    if (counts.failed) parts.push([`${counts.failed} failed`, c.red]);
    if (counts.stopped) parts.push([`${counts.stopped} stopped`, c.yellow]);
    if (counts.skipped) parts.push([`${counts.skipped} skipped`, c.yellow]);
    if (counts.pending) parts.push([`${counts.pending} pending`, (t) => t]);
    const plain = parts.map(([text]) => text).join(" · ");
    if (plain.length > width) return truncate(plain, width);
    return parts.map(([text, paint]) => paint(text)).join(c.dim(" · "));
  }
}

/**
 * The stream as log-update sees it. A pseudo-terminal can report 0 rows and columns
 * (`script` without a size), and log-update would then draw nothing at all.
 */
function terminal(stream: NodeJS.WriteStream): NodeJS.WritableStream {
  const view = {
    isTTY: true,
    get columns() {
      return stream.columns || 80;
    },
    get rows() {
      return stream.rows || 24;
    },
    write: (chunk: string) => stream.write(chunk),
  };
  // log-update reads only these members of its stream.
  return view as unknown as NodeJS.WritableStream;
}
