import type { SerializedError } from "../../core/errors.js";
import type { EncodedValue } from "../../core/serialization.js";
import { FORMAT } from "../shared/schema-marker.js";
import type { AttemptRecord, RunRecord, StoredTaskState } from "../store.js";
import {
  CLEAR_KEYS,
  COMMIT_KEYS,
  count,
  isObject,
  only,
  optionalString,
  preview,
  RecordProblem,
  readAttempt,
  readRun,
  readTask,
  show,
} from "./records.js";
import { timeToJson } from "./time.js";

export { RecordProblem } from "./records.js";

/**
 * The journal's line format. A journal is a header line, then records, one JSON object
 * per line; every commit ends with a commit line counting its records, so a commit whose
 * end is missing (the process died while writing it) is recognised and dropped whole.
 *
 *     {"format":"flowweaver-state","version":1}
 *     {"type":"run","runId":"…","workflow":"etl","runKey":"default","status":"RUNNING","startedAt":"2026-…Z"}
 *     {"type":"task","workflow":"etl","runKey":"default","task":"extract","status":"COMPLETED",…,"result":{"json":[1,2,3]}}
 *     {"type":"attempt","runId":"…","workflow":"etl","task":"extract","attempt":1,"status":"COMPLETED",…}
 *     {"type":"commit","records":3}
 *
 * A task's result is the last member of its line, as `{"json": <the JSON itself>}`,
 * `{"superjson": <superjson's JSON>}` or `{"base64": "<bytes>"}`, so the store can keep
 * only its byte range in memory and read it back alone.
 */
export const VERSION = 1;
export const HEADER_LINE = `${JSON.stringify({ format: FORMAT, version: VERSION })}\n`;

/** A stored result: a byte range of the journal, or (rarely) held in memory. */
export type ResultRef =
  | {
      readonly kind: EncodedValue["kind"];
      /** Absolute byte offset of the value in the journal. */
      readonly offset: number;
      readonly length: number;
    }
  | { readonly kind: "memory"; readonly value: EncodedValue };

export type JournalRecord =
  | { readonly type: "run"; readonly run: RunRecord }
  | {
      readonly type: "task";
      readonly state: StoredTaskState;
      readonly result: ResultRef | undefined;
    }
  | { readonly type: "attempt"; readonly attempt: AttemptRecord }
  | { readonly type: "clear"; readonly workflow: string | undefined };

export type JournalLine = JournalRecord | { readonly type: "commit"; readonly records: number };

/** What the header says, or why it is not ours. */
export type Header =
  | { readonly ok: true; readonly version: number }
  | { readonly ok: false; readonly problem: string };

export function parseHeader(text: string): Header {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: "its first line is not JSON" };
  }
  const record = isObject(data) ? data : undefined;
  if (record?.format !== FORMAT) {
    return {
      ok: false,
      problem: `its first line has no "format":"${FORMAT}" marker (found ${preview(text)})`,
    };
  }
  const version = record.version;
  if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 1) {
    return { ok: false, problem: `its header has an invalid version ${preview(String(version))}` };
  }
  return { ok: true, version };
}

// ---------------------------------------------------------------------------------------
// Writing

/** A line split around its result, so the result's byte range is known: head+value+tail. */
export interface TaskLineParts {
  readonly head: string;
  readonly value: string | Uint8Array | undefined;
  readonly kind: EncodedValue["kind"] | undefined;
  readonly tail: string;
}

export function runLine(run: RunRecord): { line: string; record: RunRecord } {
  // Checked on the values as given, then written with readable times.
  const record = readRun({
    type: "run",
    runId: run.runId,
    workflow: run.workflow,
    runKey: run.runKey,
    status: run.status,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: errorOut(run.error),
  });
  const line = JSON.stringify({
    type: "run",
    runId: record.runId,
    workflow: record.workflow,
    runKey: record.runKey,
    status: record.status,
    startedAt: timeOut(record.startedAt),
    finishedAt: timeOut(record.finishedAt),
    error: record.error,
  });
  return { line, record };
}

export function attemptLine(attempt: AttemptRecord): { line: string; record: AttemptRecord } {
  const record = readAttempt({
    type: "attempt",
    runId: attempt.runId,
    workflow: attempt.workflow,
    task: attempt.task,
    attempt: attempt.attempt,
    status: attempt.status,
    startedAt: attempt.startedAt,
    finishedAt: attempt.finishedAt,
    error: errorOut(attempt.error),
  });
  const line = JSON.stringify({
    type: "attempt",
    runId: record.runId,
    workflow: record.workflow,
    task: record.task,
    attempt: record.attempt,
    status: record.status,
    startedAt: timeOut(record.startedAt),
    finishedAt: timeOut(record.finishedAt),
    error: record.error,
  });
  return { line, record };
}

export function clearLine(workflow: string | undefined): string {
  return JSON.stringify({ type: "clear", workflow });
}

export function commitLine(records: number): string {
  return `{"type":"commit","records":${records}}`;
}

/** A result's bytes exactly as a journal holds them (compaction copies them over). */
export interface RawResult {
  readonly kind: EncodedValue["kind"];
  readonly raw: Buffer;
}

/** Validates a task state and splits its line around the result. */
export function taskLine(
  state: Omit<StoredTaskState, "hasResult">,
  result: EncodedValue | RawResult | undefined,
): { parts: TaskLineParts; state: StoredTaskState } {
  const checked = readTask(
    {
      type: "task",
      workflow: state.workflow,
      runKey: state.runKey,
      task: state.task,
      status: state.status,
      runId: state.runId,
      attempts: state.attempts,
      startedAt: state.startedAt,
      finishedAt: state.finishedAt,
      duration: state.duration,
      version: state.version,
      error: errorOut(state.error),
    },
    result !== undefined,
  );
  const fields = JSON.stringify({
    type: "task",
    workflow: checked.workflow,
    runKey: checked.runKey,
    task: checked.task,
    status: checked.status,
    runId: checked.runId,
    attempts: checked.attempts,
    startedAt: timeOut(checked.startedAt),
    finishedAt: timeOut(checked.finishedAt),
    duration: checked.duration,
    version: checked.version,
    error: checked.error,
  });
  if (result === undefined) {
    return { parts: { head: fields, value: undefined, kind: undefined, tail: "" }, state: checked };
  }
  if (checked.status !== "COMPLETED") {
    throw new RecordProblem(
      `a result is only stored with status "COMPLETED", not "${checked.status}"`,
    );
  }
  const head = `${fields.slice(0, -1)},"result":{"${RESULT_KEY[result.kind]}":`;
  const value = "raw" in result ? result.raw : resultValue(result);
  return { parts: { head, value, kind: result.kind, tail: "}}" }, state: checked };
}

const RESULT_KEY = { json: "json", superjson: "superjson", buffer: "base64" } as const;
const KIND_OF_KEY: Record<string, EncodedValue["kind"]> = {
  json: "json",
  superjson: "superjson",
  base64: "buffer",
};

function resultValue(result: EncodedValue): string | Uint8Array {
  if (result.kind === "buffer") {
    const bytes = result.bytes;
    if (!(bytes instanceof Uint8Array)) {
      throw new RecordProblem(`a "buffer" result must hold a Uint8Array; got ${typeof bytes}`);
    }
    const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    return Buffer.from(`"${base64}"`, "latin1");
  }
  if (typeof result.text !== "string") {
    throw new RecordProblem(
      `a "${result.kind}" result must hold its text; got ${typeof result.text}`,
    );
  }
  // JSON text from JSON.stringify has no raw line breaks; re-serialize one that does
  // (pretty-printed by someone), as a line break would split the record.
  return /[\n\r]/.test(result.text) ? JSON.stringify(JSON.parse(result.text)) : result.text;
}

function timeOut(ms: number | undefined): unknown {
  return typeof ms === "number" ? timeToJson(ms) : ms;
}

function errorOut(error: SerializedError | undefined): unknown {
  if (!isObject(error)) return error;
  return {
    name: error.name,
    message: error.message,
    code: error.code,
    taskName: error.taskName,
    stack: error.stack,
  };
}

// ---------------------------------------------------------------------------------------
// Reading

/**
 * Parses and checks one journal line (`line` without its newline, starting at byte
 * `offset` of the file). Throws RecordProblem.
 */
export function parseLine(line: Buffer, offset: number): JournalLine {
  const text = line.toString("utf8");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RecordProblem(`not valid JSON (${(error as Error).message}): ${preview(text)}`);
  }
  if (!isObject(data)) throw new RecordProblem(`not a JSON object: ${preview(text)}`);
  switch (data.type) {
    case "run":
      return { type: "run", run: readRun(data) };
    case "attempt":
      return { type: "attempt", attempt: readAttempt(data) };
    case "task": {
      const state = readTask(data, data.result !== undefined);
      return { type: "task", state, result: readResult(data, line, offset) };
    }
    case "clear":
      only(data, CLEAR_KEYS, "clear");
      return { type: "clear", workflow: optionalString(data, "workflow") };
    case "commit": {
      only(data, COMMIT_KEYS, "commit");
      return { type: "commit", records: count(data, "records", 1) };
    }
    default:
      throw new RecordProblem(`unknown record type ${preview(JSON.stringify(data.type) ?? "")}`);
  }
}

/**
 * Finds the result's bytes in its line. The result is written last, so its value runs
 * from just after `,"result":{"<kind>":` to the line's closing `}}`. The first such
 * sequence in the line is the real one: the members before it are known scalars and an
 * error object of strings, and inside a JSON string every `"` is escaped, so `,"` cannot
 * occur there. A line that does not look like that (edited by hand, with other spacing)
 * still reads correctly: its result is then kept in memory, re-encoded.
 */
function readResult(
  data: Record<string, unknown>,
  line: Buffer,
  offset: number,
): ResultRef | undefined {
  const result = data.result;
  if (result === undefined) return undefined;
  const keys = isObject(result) ? Object.keys(result) : [];
  const key = keys[0];
  const kind = key === undefined ? undefined : KIND_OF_KEY[key];
  if (!isObject(result) || keys.length !== 1 || key === undefined || kind === undefined) {
    throw new RecordProblem(
      `"result" must be {"json": …}, {"superjson": …} or {"base64": "…"}; got ${show(result)}`,
    );
  }
  if (data.status !== "COMPLETED") {
    throw new RecordProblem(`a result is only stored with status "COMPLETED"`);
  }
  const value = result[key];
  if (kind === "buffer" && typeof value !== "string") {
    throw new RecordProblem(`"result.base64" must be a base64 string; got ${show(value)}`);
  }
  if (kind === "superjson" && !(isObject(value) && "json" in value)) {
    throw new RecordProblem(
      `"result.superjson" must be superjson's {"json": …}; got ${show(value)}`,
    );
  }
  const marker = `,"result":{"${key}":`;
  const at = line.indexOf(marker);
  const end = line.length - 2;
  const lastKey = Object.keys(data).at(-1);
  if (at >= 0 && lastKey === "result" && line[end] === 0x7d && line[end + 1] === 0x7d) {
    const start = at + Buffer.byteLength(marker);
    if (start <= end) return { kind, offset: offset + start, length: end - start };
  }
  return { kind: "memory", value: reencode(kind, value) };
}

function reencode(kind: EncodedValue["kind"], value: unknown): EncodedValue {
  if (kind === "buffer") return { kind, bytes: Buffer.from(value as string, "base64") };
  return { kind, text: JSON.stringify(value) };
}

/** Decodes a result's raw bytes, as cut out of the journal, to an EncodedValue. */
export function encodedFromBytes(kind: EncodedValue["kind"], bytes: Buffer): EncodedValue {
  if (kind === "buffer") {
    // The bytes are `"<base64>"`, quotes included.
    return { kind, bytes: Buffer.from(bytes.toString("latin1", 1, bytes.length - 1), "base64") };
  }
  return { kind, text: bytes.toString("utf8") };
}
