import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import { isFilePath } from "../shared/arguments.js";
import { readDurability } from "../shared/options.js";
import type { Durability } from "../store.js";

/** Options of {@link JSONStateStore}. */
export interface JSONStateStoreOptions {
  /**
   * `"normal"` survives a crash of the process: every commit is written before it
   * resolves, and the operating system keeps written data. `"full"` also flushes each
   * commit to the disk (fdatasync), so it survives a power loss too, at a cost per commit.
   * @default "normal"
   */
  readonly durability?: Durability;
  /**
   * Compact the journal once superseded records take more than this many times the
   * bytes of the live state (and at least `compactMinBytes`).
   * @default 2
   */
  readonly compactRatio?: number;
  /**
   * The least superseded bytes worth a compaction.
   * @default 1048576 (1 MiB)
   */
  readonly compactMinBytes?: number;
}

export type ResolvedOptions = Required<JSONStateStoreOptions>;

const OPTION_NAMES = new Set(["durability", "compactRatio", "compactMinBytes"]);

export function checkPath(file: unknown): asserts file is string {
  if (!isFilePath(file)) {
    throw new ConfigurationError(
      `new JSONStateStore(path) needs the path of the state file as a non-empty string; got ${show(file)}.`,
    );
  }
}

export function resolveOptions(options: unknown): ResolvedOptions {
  const given = options ?? {};
  if (typeof given !== "object" || Array.isArray(given)) {
    throw new ConfigurationError(
      `new JSONStateStore(path, options): options must be an object; got ${show(options)}.`,
    );
  }
  for (const key of Object.keys(given)) {
    if (!OPTION_NAMES.has(key)) {
      throw new ConfigurationError(
        `JSONStateStore has no option "${key}"; its options are durability, compactRatio and compactMinBytes.`,
      );
    }
  }
  const fields = given as Record<string, unknown>;
  const durability = readDurability(fields.durability, "JSONStateStore");
  const { compactRatio, compactMinBytes } = fields;
  if (
    compactRatio !== undefined &&
    (typeof compactRatio !== "number" || !Number.isFinite(compactRatio) || compactRatio <= 0)
  ) {
    throw new ConfigurationError(
      `JSONStateStore option "compactRatio" must be a number > 0; got ${show(compactRatio)}.`,
    );
  }
  if (
    compactMinBytes !== undefined &&
    (typeof compactMinBytes !== "number" ||
      !Number.isSafeInteger(compactMinBytes) ||
      compactMinBytes < 0)
  ) {
    throw new ConfigurationError(
      `JSONStateStore option "compactMinBytes" must be an integer >= 0; got ${show(compactMinBytes)}.`,
    );
  }
  return {
    durability,
    compactRatio: compactRatio ?? 2,
    compactMinBytes: compactMinBytes ?? 1 << 20,
  };
}

/** Checks a string argument of a store method. */
export function checkName(method: string, name: string, value: unknown): void {
  if (typeof value !== "string") {
    throw new ConfigurationError(
      `JSONStateStore.${method}(): "${name}" must be a string; got ${show(value)}.`,
    );
  }
}

export function checkOwner(owner: unknown): void {
  const { runId, pid, host } = (owner ?? {}) as Partial<Record<string, unknown>>;
  if (
    typeof owner !== "object" ||
    typeof runId !== "string" ||
    typeof host !== "string" ||
    typeof pid !== "number" ||
    !Number.isSafeInteger(pid) ||
    pid <= 0
  ) {
    throw new ConfigurationError(
      `JSONStateStore.acquireLock(): "owner" must be { runId: string, pid: positive integer, host: string }; got ${show(owner)}.`,
    );
  }
}

export function checkQuery(query: unknown): void {
  if (typeof query !== "object" || query === null) {
    throw new ConfigurationError(
      `JSONStateStore.listRuns(query): query must be an object; got ${show(query)}.`,
    );
  }
  const { workflow, runId, limit } = query as Partial<Record<string, unknown>>;
  if (workflow !== undefined) checkName("listRuns", "query.workflow", workflow);
  if (runId !== undefined) checkName("listRuns", "query.runId", runId);
  if (
    limit !== undefined &&
    (typeof limit !== "number" || !Number.isSafeInteger(limit) || limit < 0)
  ) {
    throw new ConfigurationError(
      `JSONStateStore.listRuns(query): "limit" must be an integer >= 0; got ${show(limit)}.`,
    );
  }
}
