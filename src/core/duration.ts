import { ConfigurationError } from "./errors.js";

/** A duration: seconds as a number, or a string such as `"250ms"`, `"30s"`, `"5m"`, `"1h"`. */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h"}`;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const DURATION_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

/**
 * Resolves a {@link Duration} to milliseconds, or throws a {@link ConfigurationError}
 * that names `label` (for example `task "fetch" option "timeout"`) and the value given.
 */
export function durationToMs(value: unknown, label: string, taskName?: string): number {
  if (typeof value === "number") {
    if (Number.isFinite(value) && value >= 0) return value * 1000;
  } else if (typeof value === "string") {
    const match = DURATION_PATTERN.exec(value);
    if (match) {
      const amount = Number(match[1]);
      const unit = match[2] as keyof typeof UNIT_MS;
      return amount * UNIT_MS[unit];
    }
  }
  throw new ConfigurationError(
    `${label} must be a duration: seconds as a number >= 0, or a string like "250ms", "30s", "5m" or "1h"; got ${show(value)}.`,
    taskName === undefined ? {} : { taskName },
  );
}

/** Shows a received value in an error message. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol") return value.toString();
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array ${safeJson(value)}`;
  if (value !== null && typeof value === "object") {
    const ctor = (value as object).constructor?.name;
    return ctor && ctor !== "Object" ? `a ${ctor}` : `an object ${safeJson(value)}`;
  }
  return String(value);
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return "(unprintable)";
  }
}
