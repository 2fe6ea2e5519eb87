/** Text helpers shared by the commands' human-readable output. */
import type { Colors } from "./io.js";

/** Seconds as `250ms`, `1.25s`, `2m 05s` or `1h 02m`. */
export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return "";
  if (seconds < 1) return `${Math.round(seconds * 1000)}ms`;
  if (seconds < 60) return `${seconds.toFixed(2)}s`;
  const whole = Math.floor(seconds);
  if (whole < 3600) {
    return `${Math.floor(whole / 60)}m ${String(whole % 60).padStart(2, "0")}s`;
  }
  return `${Math.floor(whole / 3600)}h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")}m`;
}

/** Milliseconds since the epoch as local `YYYY-MM-DD HH:MM:SS`. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return "";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Cuts `text` to `width` characters, ending with an ellipsis when it was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = [...text];
  if (chars.length <= width) return text;
  return `${chars.slice(0, Math.max(0, width - 1)).join("")}…`;
}

/** An error (live or stored) on one line: `Name: message`, the first line of the message. */
export function errorLine(
  error: { readonly name?: string; readonly message?: string } | undefined,
): string {
  if (!error) return "";
  const message = (error.message ?? "").split("\n")[0] ?? "";
  const generic = !error.name || error.name === "Error" || error.name === "FlowWeaverError";
  const name = generic ? "" : `${error.name}: `;
  return `${name}${message}`;
}

/** The first stack frame of an error, where the user's code threw. */
export function firstFrame(error: { readonly stack?: string } | undefined): string | undefined {
  const frame = error?.stack?.split("\n").find((line) => line.trimStart().startsWith("at "));
  return frame?.trim();
}

/** Quotes an argument for a POSIX shell when it needs it, so a printed command can be pasted. */
export function shellQuote(arg: string): string {
  if (arg !== "" && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'"'"'`)}'`;
}

/** Visible length, ignoring ANSI color codes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
  return [...text.replace(/\u001B\[[0-9;]*m/g, "")].length;
}

/**
 * Lays out rows in columns, two spaces apart, the last column unpadded. Cells may hold
 * color codes; widths count visible characters.
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) =>
    Math.max(visibleLength(h), ...rows.map((row) => visibleLength(row[c] ?? ""))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) =>
        c === cells.length - 1
          ? cell
          : cell + " ".repeat(Math.max(0, (widths[c] ?? 0) - visibleLength(cell))),
      )
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A stored status word in its color: completed green, failed red, and so on. */
export function paintStatus(status: string, c: Colors): string {
  switch (status) {
    case "COMPLETED":
      return c.green(status);
    case "FAILED":
      return c.red(status);
    case "RUNNING":
      return c.cyan(status);
    case "SKIPPED":
    case "CANCELLED":
      return c.yellow(status);
    default:
      return c.dim(status);
  }
}
