import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import type { RunQuery } from "../store.js";

/**
 * Argument checks the stores share. The SQL stores (SQLite, PostgreSQL) check their
 * methods' arguments alike, with the same messages; the JSON store keeps method checks of
 * its own (it accepts empty names and a limit of 0, which its journal always allowed).
 */

/** Whether `value` can name a store's file: a string with more than blanks, and no NUL. */
export function isFilePath(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && !value.includes("\u0000");
}

/** A `listRuns` query once checked, its limit defaulted. */
export interface CheckedRunQuery {
  readonly workflow: string | undefined;
  readonly runId: string | undefined;
  readonly limit: number;
}

/** Refuses anything but a non-empty string as `method`'s `argument`, showing what came. */
export function requireText(method: string, argument: string, value: unknown): void {
  if (typeof value !== "string" || value === "") {
    throw new ConfigurationError(
      `${method}(): "${argument}" must be a non-empty string; got ${show(value)}.`,
    );
  }
}

/** Checks `listRuns`'s query: an object, non-empty names, a whole `limit` >= 1 (default 50). */
export function checkRunQuery(query: RunQuery): CheckedRunQuery {
  if (typeof query !== "object" || query === null) {
    throw new ConfigurationError(
      `listRuns(query) takes { workflow?, runId?, limit? }; got ${show(query)}.`,
    );
  }
  const { workflow, runId, limit = 50 } = query;
  if (workflow !== undefined) requireText("listRuns", "workflow", workflow);
  if (runId !== undefined) requireText("listRuns", "runId", runId);
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
    throw new ConfigurationError(
      `listRuns option "limit" must be a whole number >= 1; got ${show(limit)}.`,
    );
  }
  return { workflow, runId, limit };
}
