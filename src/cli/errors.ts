/** The exit codes of every `flowweaver` command. */
export const ExitCode = {
  OK: 0,
  /** A task failed (or the run could not finish). */
  FAILED: 1,
  /** Bad usage: unknown option, bad value, missing or invalid workflow file. */
  USAGE: 2,
  /** Stopped by SIGINT or SIGTERM; running the same command again resumes. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error in what the user typed or pointed at; exits with code 2. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

// Errors in the definition of a workflow are the user's input being wrong, like a bad
// option, so they exit 2; identified by name because the error may come from a worker.
const DEFINITION_ERRORS: ReadonlySet<string> = new Set([
  "ConfigurationError",
  "DuplicateTaskError",
  "UnknownDependencyError",
  "CycleError",
]);

/** The exit code for an error that ended a command. */
export function exitCodeFor(error: unknown): ExitCode {
  if (!(error instanceof Error)) return ExitCode.FAILED;
  if (error instanceof UsageError || DEFINITION_ERRORS.has(error.name)) return ExitCode.USAGE;
  return ExitCode.FAILED;
}
