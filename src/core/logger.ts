/**
 * Loggers. Executors take any object with `debug/info/warn/error` called pino-style,
 * `(fields, message)`, so a pino logger plugs in as it is. Tasks log through `ctx.log`,
 * message first, tagged with the run, task and attempt.
 */

type LogFn = (fields: Record<string, unknown>, message: string) => void;

/** What executors log to: pino, or anything with the same four methods. */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** `ctx.log`: message first, optional fields. */
export interface TaskLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function formatFields(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const text =
      value instanceof Error ? value.message : typeof value === "string" ? value : safe(value);
    parts.push(`${key}=${/\s/.test(text) ? JSON.stringify(text) : text}`);
  }
  return parts.length ? ` ${parts.join(" ")}` : "";
}

function safe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const noop: LogFn = () => {};

/** The default: warnings and errors to stderr, the rest dropped. */
export const stderrLogger: Logger = {
  debug: noop,
  info: noop,
  warn: (fields, message) => {
    process.stderr.write(`[flowweaver] WARN ${message}${formatFields(fields)}\n`);
  },
  error: (fields, message) => {
    process.stderr.write(`[flowweaver] ERROR ${message}${formatFields(fields)}\n`);
  },
};

/** A logger that drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Binds a logger to fixed fields, for `ctx.log`. */
export function taskLogger(logger: Logger, bound: Record<string, unknown>): TaskLogger {
  const bind =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logger[level](fields ? { ...bound, ...fields } : bound, message);
    };
  return { debug: bind("debug"), info: bind("info"), warn: bind("warn"), error: bind("error") };
}

/** `ctx.log` for a task function called directly, outside a run. */
export const consoleTaskLogger: TaskLogger = taskLogger(stderrLogger, {});
