import { format } from "node:util";
import type { Logger } from "../../index.js";
import type { ProgressEvent } from "./progress.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A log message from the engine, a task's `ctx.log`, or a task's `console.*`. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly source: "log" | "console";
}

/** What the run command shows about a run; one implementation per output mode. */
export interface RunReporter {
  event(event: ProgressEvent): void;
  log(entry: LogEntry): void;
  /** A signal asked the run to stop; running tasks are being aborted. */
  interrupted(signal: NodeJS.Signals): void;
  /** Stops timers and gives the terminal back. Safe to call twice. */
  close(): void;
}

/** Facts about the run that every output mode shows at the start. */
export interface RunInfo {
  readonly file: string;
  readonly executor: string;
  readonly state: string;
}

/** The executor's logger: debug dropped, everything else to the reporter. */
export function reporterLogger(reporter: RunReporter): Logger {
  const to =
    (level: LogLevel) =>
    (fields: Record<string, unknown>, message: string): void => {
      reporter.log({ level, message, fields: fields ?? {}, source: "log" });
    };
  return { debug: () => {}, info: to("info"), warn: to("warn"), error: to("error") };
}

const CONSOLE_LEVELS = { log: "info", info: "info", debug: "debug", warn: "warn", error: "error" };

/**
 * Sends `console.*` calls made by tasks to the reporter while the run lasts, so they
 * neither tear the live view apart nor break the one-JSON-object-per-line output.
 * Returns a function that puts the console back.
 */
export function captureConsole(reporter: RunReporter): () => void {
  const saved = new Map<string, unknown>();
  const target = console as unknown as Record<string, unknown>;
  for (const [method, level] of Object.entries(CONSOLE_LEVELS)) {
    saved.set(method, target[method]);
    target[method] = (...args: unknown[]) =>
      reporter.log({
        level: level as LogLevel,
        message: format(...args),
        fields: {},
        source: "console",
      });
  }
  return () => {
    for (const [method, original] of saved) target[method] = original;
  };
}

// Fields every task log carries; a human reading one run does not need them repeated.
const RUN_FIELDS: ReadonlySet<string> = new Set(["runId", "workflow", "task", "attempt"]);

/** A log entry on one line for people: `task: message key=value …`. */
export function logText(entry: LogEntry): string {
  const task = entry.fields.task;
  const prefix = typeof task === "string" ? `${task}: ` : "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(entry.fields)) {
    if (value === undefined || RUN_FIELDS.has(key)) continue;
    const text =
      value instanceof Error ? value.message : typeof value === "string" ? value : safeJson(value);
    parts.push(`${key}=${/\s/.test(text) || text === "" ? JSON.stringify(text) : text}`);
  }
  return `${prefix}${entry.message}${parts.length ? ` ${parts.join(" ")}` : ""}`;
}

/** JSON.stringify that never throws (cycles, BigInt) and keeps Errors readable. */
export function safeJson(value: unknown): string {
  try {
    return (
      JSON.stringify(value, (_key, v: unknown) =>
        typeof v === "bigint"
          ? v.toString()
          : v instanceof Error
            ? { name: v.name, message: v.message, code: (v as { code?: unknown }).code }
            : v,
      ) ?? String(value)
    );
  } catch {
    return String(value);
  }
}
