import { StoreCorruptError } from "../../core/errors.js";
import { decodeValue, type EncodedValue } from "../../core/serialization.js";
import type { Database, Statement } from "./driver.js";

/**
 * The largest result kept inline in its task state's row, and the size of the pieces a
 * larger one is cut into (`result_chunks`). Binding or reading a value makes SQLite hold
 * copies of it (the bound value, the record, its overflow pages), so a 20 MB result
 * written whole costs several times 20 MB of native memory; in pieces it costs a few of
 * these at a time.
 */
export const CHUNK_BYTES = 256 * 1024;

/** The page cache, in KiB, while a chunked value passes through it (see {@link withSmallCache}). */
const SMALL_CACHE_KIB = 1024;

/** The column values of an encoded result kept inline, or undefined when it must be chunked. */
export function inlineValue(result: EncodedValue): string | Buffer | undefined {
  if (result.kind === "buffer") {
    return result.bytes.byteLength <= CHUNK_BYTES ? asBuffer(result.bytes) : undefined;
  }
  const { text } = result;
  // A UTF-16 code unit takes at most 3 bytes of UTF-8, so most texts need no counting.
  return text.length * 3 <= CHUNK_BYTES || Buffer.byteLength(text, "utf8") <= CHUNK_BYTES
    ? text
    : undefined;
}

/** The bytes stored in chunks for a result too large to keep inline: texts as UTF-8. */
export function resultBytes(result: EncodedValue): Buffer {
  return result.kind === "buffer" ? asBuffer(result.bytes) : Buffer.from(result.text, "utf8");
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Runs `work` with the connection's page cache cut to about 1 MiB, then restores it. A
 * chunked value then passes through the cache a few pages at a time: pages written in a
 * transaction spill to the WAL (where they stay uncommitted, invisible to readers and to
 * recovery, until the commit) instead of piling up in memory.
 */
export function withSmallCache<T>(db: Database, work: () => T): T {
  const usual = db.pragma("cache_size", { simple: true }) as number;
  db.pragma(`cache_size = -${SMALL_CACHE_KIB}`);
  try {
    return work();
  } finally {
    db.pragma(`cache_size = ${usual}`);
  }
}

/** Reads stored results back, inline or chunked, and decodes them. */
export class ResultReader {
  readonly #db: Database;
  readonly #location: string;
  readonly #select: Statement;
  readonly #chunks: Statement;

  constructor(db: Database, location: string) {
    this.#db = db;
    this.#location = location;
    this.#select = db
      .prepare(
        `SELECT partition, result_kind, result, result_size FROM task_states
         WHERE partition = (SELECT id FROM partitions WHERE workflow = ? AND run_key = ?) AND task = ?`,
      )
      .raw();
    this.#chunks = db
      .prepare("SELECT bytes FROM result_chunks WHERE partition = ? AND task = ? ORDER BY seq")
      .pluck();
  }

  /** The decoded result of a task, or undefined when it has none. */
  read(workflow: string, runKey: string, task: string): unknown {
    const row = this.#select.get(workflow, runKey, task) as unknown[] | undefined;
    if (row === undefined || row[1] === null) return undefined;
    const kind = row[1] as EncodedValue["kind"];
    const size = row[3] as number | null;
    const value =
      size === null ? (row[2] as string | Buffer) : this.#assemble(row[0] as number, task, size);
    if (kind === "buffer") return decodeValue({ kind, bytes: value as Buffer });
    const text = typeof value === "string" ? value : value.toString("utf8");
    return decodeValue({ kind, text });
  }

  /** Copies a chunked value into one buffer of its known length, checking it is whole. */
  #assemble(partition: number, task: string, size: number): Buffer {
    const whole = Buffer.allocUnsafe(size);
    let total = 0;
    withSmallCache(this.#db, () => {
      for (const chunk of this.#chunks.iterate(partition, task) as IterableIterator<Buffer>) {
        if (total + chunk.length <= size) chunk.copy(whole, total);
        total += chunk.length;
      }
    });
    if (total !== size) {
      throw new StoreCorruptError(
        this.#location,
        `the stored result of task "${task}" should be ${size} bytes, but its chunks in "result_chunks" do not add up to that`,
      );
    }
    return whole;
  }
}
