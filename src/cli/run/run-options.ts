/** The executors `run --executor` accepts; sequential is the default. */
export const EXECUTOR_NAMES = ["sequential", "async", "threaded"] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

/** `flowweaver run`'s options, as commander parses them. */
export interface RunOptions {
  readonly executor: ExecutorName;
  readonly concurrency?: number;
  readonly state: string;
  readonly fresh?: boolean;
  readonly json?: boolean;
  readonly param?: Readonly<Record<string, string>>;
  readonly runKey?: string;
  readonly workflow?: string;
  readonly failFast?: boolean;
}
