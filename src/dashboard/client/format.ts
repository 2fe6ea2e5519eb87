import type { RunStatusName, RunTaskStatusName } from "../api-types.js";

export type AnyStatus = RunStatusName | RunTaskStatusName;

const LABELS: Readonly<Record<AnyStatus, string>> = {
  PENDING: "Pending",
  RUNNING: "Running",
  COMPLETED: "Completed",
  FAILED: "Failed",
  SKIPPED: "Skipped",
  CANCELLED: "Cancelled",
  NOT_RUN: "Not run",
};

export function statusLabel(status: AnyStatus): string {
  return LABELS[status] ?? status;
}

/** Seconds as people read them: `850 ms`, `1.24 s`, `12.3 s`, `2 min 05 s`, `1 h 02 min`. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  // Times are stored to the millisecond, so a 0 is anything shorter than one.
  if (seconds < 0.001) return "< 1 ms";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${pad(Math.floor((whole % 3600) / 60))} min`;
}

/** An offset on the timeline's axis: `0`, `250 ms`, `1.5 s`, `2 min`. */
export function formatOffset(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1000) return `${round(ms)} ms`;
  if (ms < 60_000) return `${round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${round(ms / 60_000)} min`;
  return `${round(ms / 3_600_000)} h`;
}

const dateTime = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "medium",
});
const relativeTime = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "—" : dateTime.format(new Date(ms));
}

/** `just now`, `3 minutes ago`, `yesterday`… */
export function formatAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return "—";
  const seconds = Math.round((ms - now) / 1000);
  if (Math.abs(seconds) < 5) return "just now";
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400],
    ["hour", 3600],
    ["minute", 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeTime.format(Math.round(seconds / size), unit);
  }
  return relativeTime.format(seconds, "second");
}

/** The first part of a run id, enough to tell runs apart on screen. */
export function shortId(runId: string): string {
  return runId.length > 8 ? runId.slice(0, 8) : runId;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function round(n: number): string {
  return String(Number(n.toPrecision(3)));
}
