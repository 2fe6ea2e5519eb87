import { durationToMs, show } from "./duration.js";
import { ConfigurationError, NON_RETRYABLE_CODES } from "./errors.js";
import type { Logger } from "./logger.js";
import type { TaskCallbacks, TaskOptions } from "./task.js";

/** Task options checked once and compiled: durations in milliseconds. */
export interface ResolvedTaskOptions {
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly backoff: "fixed" | "exponential";
  readonly maxRetryDelayMs: number;
  /** Fraction of the delay that is randomized, 0 for none. */
  readonly jitter: number;
  readonly retryOn: ((error: Error) => boolean) | undefined;
  readonly timeoutMs: number | undefined;
  readonly version: string | undefined;
  readonly callbacks: Readonly<TaskCallbacks>;
  readonly description: string | undefined;
}

const KNOWN_OPTIONS = new Set([
  "name",
  "retries",
  "retryDelay",
  "backoff",
  "maxRetryDelay",
  "jitter",
  "retryOn",
  "timeout",
  "version",
  "callbacks",
  "description",
]);
const CALLBACKS = ["onStart", "onComplete", "onError", "onRetry"] as const;

const DEFAULT_OPTIONS: ResolvedTaskOptions = Object.freeze({
  retries: 0,
  retryDelayMs: 0,
  backoff: "fixed",
  maxRetryDelayMs: Number.POSITIVE_INFINITY,
  jitter: 0,
  retryOn: undefined,
  timeoutMs: undefined,
  version: undefined,
  callbacks: Object.freeze({}),
  description: undefined,
});

/** Validates task options where they are given; errors name the task and the option. */
export function resolveTaskOptions(taskName: string, raw: unknown): ResolvedTaskOptions {
  // Most tasks take no options: share one resolved default.
  if (raw === undefined || raw === null) return DEFAULT_OPTIONS;
  const fail = (message: string): never => {
    throw new ConfigurationError(`Task "${taskName}": ${message}`, { taskName });
  };
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail(`options must be an object; got ${show(raw)}.`);
  }
  const options = raw as TaskOptions & Record<string, unknown>;
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      fail(
        `unknown option "${key}". Known options: ${[...KNOWN_OPTIONS].join(", ")}. (Callbacks go inside \`callbacks: { onStart, onComplete, onError, onRetry }\`.)`,
      );
    }
  }
  const label = (option: string) => `Task "${taskName}" option "${option}"`;

  const retries = options.retries ?? 0;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0) {
    fail(
      `option "retries" must be a whole number >= 0 (extra attempts after the first); got ${show(retries)}.`,
    );
  }
  const retryDelayMs = durationToMs(options.retryDelay ?? 0, label("retryDelay"), taskName);
  const backoff = options.backoff ?? "fixed";
  if (backoff !== "fixed" && backoff !== "exponential") {
    fail(`option "backoff" must be "fixed" or "exponential"; got ${show(backoff)}.`);
  }
  const maxRetryDelayMs =
    options.maxRetryDelay === undefined
      ? Number.POSITIVE_INFINITY
      : durationToMs(options.maxRetryDelay, label("maxRetryDelay"), taskName);
  let jitter = 0;
  if (options.jitter === true) jitter = 1;
  else if (options.jitter === false || options.jitter === undefined) jitter = 0;
  else if (typeof options.jitter === "number" && options.jitter >= 0 && options.jitter <= 1) {
    jitter = options.jitter;
  } else {
    fail(
      `option "jitter" must be true, false or a fraction from 0 to 1; got ${show(options.jitter)}.`,
    );
  }
  if (options.retryOn !== undefined && typeof options.retryOn !== "function") {
    fail(`option "retryOn" must be a function (error) => boolean; got ${show(options.retryOn)}.`);
  }
  let timeoutMs: number | undefined;
  if (options.timeout !== undefined) {
    timeoutMs = durationToMs(options.timeout, label("timeout"), taskName);
    if (timeoutMs <= 0) fail(`option "timeout" must be more than 0; got ${show(options.timeout)}.`);
  }
  let version: string | undefined;
  if (options.version !== undefined) {
    if (typeof options.version !== "string" && typeof options.version !== "number") {
      fail(`option "version" must be a string or a number; got ${show(options.version)}.`);
    }
    version = String(options.version);
  }
  const callbacks = options.callbacks ?? {};
  if (typeof callbacks !== "object" || callbacks === null || Array.isArray(callbacks)) {
    fail(
      `option "callbacks" must be an object { onStart?, onComplete?, onError?, onRetry? }; got ${show(callbacks)}.`,
    );
  }
  for (const key of Object.keys(callbacks)) {
    if (!(CALLBACKS as readonly string[]).includes(key)) {
      fail(`unknown callback "${key}" in "callbacks". Known callbacks: ${CALLBACKS.join(", ")}.`);
    }
    const value = (callbacks as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== "function") {
      fail(`callback "callbacks.${key}" must be a function; got ${show(value)}.`);
    }
  }
  if (options.description !== undefined && typeof options.description !== "string") {
    fail(`option "description" must be a string; got ${show(options.description)}.`);
  }
  return Object.freeze({
    retries: retries as number,
    retryDelayMs,
    backoff: backoff as "fixed" | "exponential",
    maxRetryDelayMs,
    jitter,
    retryOn: options.retryOn,
    timeoutMs,
    version,
    callbacks: Object.freeze({ ...callbacks }),
    description: options.description,
  });
}

/** The wait before attempt `nextAttempt` (2 for the first retry). */
export function retryDelayMs(
  options: ResolvedTaskOptions,
  nextAttempt: number,
  random = Math.random,
): number {
  const base =
    options.backoff === "exponential"
      ? options.retryDelayMs * 2 ** (nextAttempt - 2)
      : options.retryDelayMs;
  const capped = Math.min(base, options.maxRetryDelayMs);
  return capped - capped * options.jitter * random();
}

/**
 * Whether a failed attempt is worth another: never for NonRetryableError or the codes in
 * NON_RETRYABLE_CODES; otherwise as the task's `retryOn` says (a `retryOn` that throws is
 * logged and counts as no).
 */
export function isRetryable(
  taskName: string,
  options: ResolvedTaskOptions,
  error: Error,
  logger: Logger,
): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NON_RETRYABLE_CODES.has(code)) return false;
  if (error.name === "NonRetryableError") return false;
  if (!options.retryOn) return true;
  try {
    return options.retryOn(error) === true;
  } catch (thrown) {
    logger.warn(
      { task: taskName, error: thrown },
      `retryOn of task "${taskName}" threw; not retrying`,
    );
    return false;
  }
}
