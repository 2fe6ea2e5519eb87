/** Shared by the example tests: temp directories and a logger that records. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Logger, type RunResult, WorkflowFailedError } from "../../src/index.js";

/** A fresh temp directory; call `remove()` in afterEach. */
export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "fw-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface LogLine {
  readonly level: keyof Logger;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A Logger that keeps every line, for asserting on what tasks logged. */
export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: keyof Logger) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** Task names by what happened to them in a run. */
export function outcome(run: RunResult): { ran: string[]; restored: string[] } {
  const ran: string[] = [];
  const restored: string[] = [];
  for (const [name, summary] of Object.entries(run.tasks)) {
    if (summary.restored) restored.push(name);
    else if (summary.status === "COMPLETED") ran.push(name);
  }
  return { ran, restored };
}

/** Awaits `promise`, expecting it to reject; returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error("expected a rejection, but the promise resolved");
}

/** Awaits a run expected to fail with WorkflowFailedError; returns the error and its RunResult. */
export async function failedRun(
  promise: Promise<RunResult>,
): Promise<{ error: WorkflowFailedError<RunResult>; run: RunResult }> {
  const error = await rejection(promise);
  if (!(error instanceof WorkflowFailedError)) throw error;
  const failed = error as WorkflowFailedError<RunResult>;
  return { error: failed, run: failed.result };
}
