import fs from "node:fs";
import path from "node:path";
import { tempPath } from "../file-lock.js";
import { ByteChunks } from "./batch.js";
import { fdatasync, readAt, removeQuietly, syncDirectory, writeAt } from "./files.js";
import {
  attemptLine,
  commitLine,
  HEADER_LINE,
  type ResultRef,
  runLine,
  taskLine,
} from "./format.js";
import type { LiveState, TaskEntry } from "./live-state.js";

/** The journal that replaced the old one. */
export interface Compacted {
  /** The new journal, open for reading and writing. */
  readonly fd: number;
  readonly size: number;
  readonly lines: number;
  readonly headerBytes: number;
  /** Re-points the live state at the new journal; call once `fd` is the store's. */
  readonly apply: () => void;
}

/** How much a compaction buffers before writing. */
const FLUSH_BYTES = 4 << 20;

/**
 * Writes the live state of the journal `file` (open as `fd`, valid up to `end`) to a new
 * journal and puts it in place: written to a temporary file in the same directory,
 * flushed to disk, renamed over the journal (atomic: a crash leaves the old journal or
 * the new one, never a mix), and the directory flushed so the rename itself is durable.
 * Results are copied as raw bytes, never decoded. The caller holds the store's lock, so
 * nothing appends meanwhile; readers that opened the old journal keep reading it.
 */
export async function compactJournal(
  file: string,
  fd: number,
  end: number,
  live: LiveState,
): Promise<Compacted> {
  const temp = tempPath(file, "compact");
  const out = fs.openSync(temp, "wx+");
  try {
    const writer = new ChunkWriter(out);
    writer.chunks.addText(HEADER_LINE);
    const updates: (() => void)[] = [];
    let records = 0;
    for (const run of live.runs()) {
      const at = writer.position;
      writer.chunks.addText(`${runLine(run.record).line}\n`);
      const bytes = writer.position - at;
      updates.push(() => {
        run.bytes = bytes;
      });
      records++;
      await writer.maybeFlush();
    }
    for (const attempt of live.attempts()) {
      const at = writer.position;
      writer.chunks.addText(`${attemptLine(attempt.record).line}\n`);
      const bytes = writer.position - at;
      updates.push(() => {
        attempt.bytes = bytes;
      });
      records++;
      await writer.maybeFlush();
    }
    // In the order of the old journal, so results are read from it front to back.
    const entries = [...live.taskEntries()].sort((a, b) => a.line - b.line);
    const values = new WindowReader(fd, end);
    for (const entry of entries) {
      const result = entry.result;
      let stored: Parameters<typeof taskLine>[1];
      if (result === undefined) stored = undefined;
      else if (result.kind === "memory") stored = result.value;
      else stored = { kind: result.kind, raw: await values.read(result.offset, result.length) };
      const { parts } = taskLine(entry.state, stored);
      const line = writer.position;
      const valueAt = line - writer.chunks.length + writer.chunks.addTaskLine(parts);
      const bytes = writer.position - line;
      const moved: ResultRef | undefined =
        parts.kind === undefined
          ? undefined
          : { kind: parts.kind, offset: valueAt, length: bytes - (valueAt - line) - 3 };
      updates.push(() => repoint(entry, moved, line, bytes));
      records++;
      await writer.maybeFlush();
    }
    if (records > 0) writer.chunks.addText(`${commitLine(records)}\n`);
    await writer.flush();
    await fdatasync(out);
    fs.renameSync(temp, file);
    syncDirectory(path.dirname(file));
    let liveBytes = 0;
    return {
      fd: out,
      size: writer.position,
      lines: records > 0 ? records + 2 : 1,
      headerBytes: Buffer.byteLength(HEADER_LINE),
      apply: () => {
        for (const update of updates) update();
        for (const run of live.runs()) liveBytes += run.bytes;
        for (const attempt of live.attempts()) liveBytes += attempt.bytes;
        for (const entry of live.taskEntries()) liveBytes += entry.bytes;
        live.resetBytes(liveBytes);
      },
    };
  } catch (error) {
    fs.closeSync(out);
    removeQuietly(temp);
    throw error;
  }
}

function repoint(
  entry: TaskEntry,
  result: ResultRef | undefined,
  line: number,
  bytes: number,
): void {
  entry.result = result;
  entry.line = line;
  entry.bytes = bytes;
}

/** Buffers lines and writes them out in large pieces, tracking the file position. */
class ChunkWriter {
  chunks = new ByteChunks();
  #written = 0;
  readonly #fd: number;

  constructor(fd: number) {
    this.#fd = fd;
  }

  get position(): number {
    return this.#written + this.chunks.length;
  }

  async maybeFlush(): Promise<void> {
    if (this.chunks.length >= FLUSH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    const length = this.chunks.length;
    await writeAt(this.#fd, this.chunks.finish(), this.#written);
    this.#written += length;
    this.chunks = new ByteChunks();
  }
}

/** Reads byte ranges met in increasing order through a 1 MiB window; large ones directly. */
class WindowReader {
  static readonly SIZE = 1 << 20;
  readonly #fd: number;
  readonly #end: number;
  #window: Buffer = Buffer.alloc(0);
  #start = 0;

  constructor(fd: number, end: number) {
    this.#fd = fd;
    this.#end = end;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (length > WindowReader.SIZE / 4) return readAt(this.#fd, offset, length);
    if (offset < this.#start || offset + length > this.#start + this.#window.length) {
      // A new buffer each time: slices handed out earlier stay valid until written.
      const size = Math.max(length, Math.min(WindowReader.SIZE, this.#end - offset));
      this.#window = await readAt(this.#fd, offset, size);
      this.#start = offset;
    }
    return this.#window.subarray(offset - this.#start, offset - this.#start + length);
  }
}
