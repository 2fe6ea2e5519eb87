import { ConfigurationError } from "../../core/errors.js";
import { type EncodedValue, encodeValue } from "../../core/serialization.js";
import type { AttemptRecord, RunRecord, StoreBatch, TaskStateWrite } from "../store.js";
import {
  attemptLine,
  clearLine,
  commitLine,
  type JournalRecord,
  RecordProblem,
  runLine,
  type TaskLineParts,
  taskLine,
} from "./format.js";

/** Collects a commit's text and bytes into a few large buffers for one `writev`. */
export class ByteChunks {
  readonly #buffers: Buffer[] = [];
  #texts: string[] = [];
  #textBytes = 0;
  /** Bytes so far. */
  length = 0;

  addText(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.#texts.push(text);
    this.#textBytes += bytes;
    this.length += bytes;
    if (this.#textBytes >= 1 << 20) this.#flush();
  }

  addBytes(bytes: Uint8Array): void {
    this.#flush();
    this.#buffers.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
    this.length += bytes.byteLength;
  }

  /** Adds a task line; returns where its result's value starts, relative to the chunks. */
  addTaskLine(parts: TaskLineParts): number {
    this.addText(parts.head);
    const valueAt = this.length;
    if (typeof parts.value === "string") this.addText(parts.value);
    else if (parts.value !== undefined) this.addBytes(parts.value);
    this.addText(`${parts.tail}\n`);
    return valueAt;
  }

  finish(): Buffer[] {
    this.#flush();
    return this.#buffers;
  }

  #flush(): void {
    if (this.#texts.length === 0) return;
    this.#buffers.push(Buffer.from(this.#texts.join("")));
    this.#texts = [];
    this.#textBytes = 0;
  }
}

/** A record as written, with its line's place relative to the start of its commit. */
interface Placed {
  readonly record: JournalRecord;
  readonly lineAt: number;
  readonly bytes: number;
  /** For a task line with a result: where the value starts and how long it is. */
  readonly valueAt: number;
  readonly valueLength: number;
}

/** A commit, encoded and checked, ready to append. */
export interface EncodedCommit {
  readonly buffers: Buffer[];
  readonly bytes: number;
  readonly lines: number;
  /** The records with their offsets once the commit is written at byte `start`. */
  records(start: number): Iterable<{ record: JournalRecord; bytes: number; offset: number }>;
}

/**
 * Encodes a batch as journal lines plus a commit line. Every record is checked first
 * with the same rules the reader applies, so the store never writes a line it would
 * later refuse; a bad record is a ConfigurationError naming it and the field.
 */
export function encodeBatch(batch: StoreBatch): EncodedCommit {
  if (typeof batch !== "object" || batch === null) {
    throw new ConfigurationError(
      `JSONStateStore.commit(batch) needs { runs, taskStates, attempts }; got ${String(batch)}.`,
    );
  }
  const runs = list(batch, "runs");
  const taskStates = list(batch, "taskStates");
  const attempts = list(batch, "attempts");
  const out = new ByteChunks();
  const placed: Placed[] = [];
  // Where a bad record is, for the message; one try around the loops keeps them lean.
  let where = "";
  try {
    for (let i = 0; i < runs.length; i++) {
      where = `runs[${i}]`;
      const { line, record } = runLine(runs[i] as RunRecord);
      placed.push(placeLine(out, { type: "run", run: record }, line));
    }
    for (let i = 0; i < taskStates.length; i++) {
      where = `taskStates[${i}]`;
      const write = taskStates[i] as TaskStateWrite;
      const result = encodeResult(write);
      const { parts, state } = taskLine(write, result);
      const lineAt = out.length;
      const valueAt = out.addTaskLine(parts);
      placed.push({
        record: {
          type: "task",
          state,
          result: result && { kind: result.kind, offset: 0, length: 0 },
        },
        lineAt,
        bytes: out.length - lineAt,
        valueAt,
        valueLength: result ? out.length - valueAt - parts.tail.length - 1 : 0,
      });
    }
    for (let i = 0; i < attempts.length; i++) {
      where = `attempts[${i}]`;
      const { line, record } = attemptLine(attempts[i] as AttemptRecord);
      placed.push(placeLine(out, { type: "attempt", attempt: record }, line));
    }
  } catch (error) {
    if (!(error instanceof RecordProblem)) throw error;
    throw new ConfigurationError(
      `JSONStateStore.commit(batch): batch.${where} is invalid: ${error.message}.`,
    );
  }
  return finish(out, placed);
}

function placeLine(out: ByteChunks, record: JournalRecord, line: string): Placed {
  const lineAt = out.length;
  out.addText(`${line}\n`);
  return { record, lineAt, bytes: out.length - lineAt, valueAt: 0, valueLength: 0 };
}

/** Encodes the commit that clears one workflow's states and history, or everything. */
export function encodeClear(workflow: string | undefined): EncodedCommit {
  const out = new ByteChunks();
  return finish(out, [placeLine(out, { type: "clear", workflow }, clearLine(workflow))]);
}

function finish(out: ByteChunks, placed: Placed[]): EncodedCommit {
  if (placed.length > 0) out.addText(`${commitLine(placed.length)}\n`);
  const buffers = out.finish();
  return {
    buffers,
    bytes: out.length,
    lines: placed.length === 0 ? 0 : placed.length + 1,
    *records(start) {
      for (const item of placed) {
        let record = item.record;
        if (record.type === "task" && record.result !== undefined) {
          const result = {
            kind: record.result.kind as EncodedValue["kind"],
            offset: start + item.valueAt,
            length: item.valueLength,
          };
          record = { ...record, result };
        }
        yield { record, bytes: item.bytes, offset: start + item.lineAt };
      }
    },
  };
}

/** A "live" value (meant for stores that keep values as they are) is encoded here. */
function encodeResult(write: TaskStateWrite): EncodedValue | undefined {
  const result = write.result;
  if (result === undefined) return undefined;
  if (typeof result !== "object" || result === null) {
    throw new RecordProblem(`"result" must be an encoded value; got ${typeof result}`);
  }
  if (result.kind === "live") {
    return encodeValue(result.value, `result of task "${write.task}"`, write.task);
  }
  if (result.kind !== "json" && result.kind !== "superjson" && result.kind !== "buffer") {
    throw new RecordProblem(`"result.kind" must be "json", "superjson" or "buffer"`);
  }
  return result;
}

function list(batch: StoreBatch, key: keyof StoreBatch): readonly unknown[] {
  const value: unknown = batch[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new ConfigurationError(
      `JSONStateStore.commit(batch): batch.${key} must be an array; got ${typeof value}.`,
    );
  }
  return value;
}
