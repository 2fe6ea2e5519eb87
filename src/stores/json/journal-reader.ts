import fs from "node:fs";
import { StoreCorruptError, StoreVersionError } from "../../core/errors.js";
import {
  HEADER_LINE,
  type JournalRecord,
  parseHeader,
  parseLine,
  RecordProblem,
  VERSION,
} from "./format.js";

/** Where reading stopped, and what the file needs before anything is appended. */
export interface ReadOutcome {
  /** The end of the last complete commit: everything after it is a torn or unfinished commit. */
  readonly end: number;
  /** Lines up to `end`, for messages. */
  readonly lines: number;
  /** Bytes of the header line, newline included (0 when there is none yet). */
  readonly headerBytes: number;
  /**
   * The file has no usable header yet: it is empty (left by a crash while it was being
   * created) or holds a header without its newline. Writers replace it with a fresh one.
   */
  readonly needsHeader: boolean;
}

/** Applies one committed record, its line's length (newline included) and start offset. */
export type Apply = (record: JournalRecord, bytes: number, offset: number) => void;

const CHUNK = 1 << 20;
const HEADER_LIMIT = 4096;

/**
 * Reads a journal from the start: checks the header, then applies every committed record.
 * Throws StoreVersionError for a newer format, StoreCorruptError for anything damaged
 * beyond a torn final commit; reads only, so a refused file stays as it was.
 */
export function readJournal(fd: number, location: string, apply: Apply): ReadOutcome {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return { end: 0, lines: 0, headerBytes: 0, needsHeader: true };
  const head = Buffer.allocUnsafe(Math.min(size, HEADER_LIMIT));
  const got = readFully(fd, head, 0);
  const newline = head.subarray(0, got).indexOf(0x0a);
  if (newline === -1 && size > HEADER_LIMIT) {
    throw new StoreCorruptError(location, "its first line is not a FlowWeaver header");
  }
  const headerText = head.toString("utf8", 0, newline === -1 ? got : newline);
  // A torn header: the beginning of ours and nothing else, as a writer that creates the
  // file without the atomic link (where hard links are not supported) may leave it.
  if (newline === -1 && HEADER_LINE.startsWith(headerText)) {
    return { end: 0, lines: 0, headerBytes: 0, needsHeader: true };
  }
  const header = parseHeader(headerText.replace(/\r$/, ""));
  if (!header.ok) throw new StoreCorruptError(location, header.problem);
  if (header.version > VERSION) throw new StoreVersionError(location, header.version, VERSION);
  if (newline === -1) return { end: 0, lines: 0, headerBytes: 0, needsHeader: true };
  const headerBytes = newline + 1;
  const tail = readRecords(fd, location, headerBytes, 2, size, apply);
  return { ...tail, headerBytes, needsHeader: false };
}

/**
 * Applies the committed records found from byte `from` (the end of an earlier read,
 * line number `line`) to the end of the file: how a reader catches up with a writer.
 */
export function readRecords(
  fd: number,
  location: string,
  from: number,
  line: number,
  size: number,
  apply: Apply,
): { end: number; lines: number } {
  let end = from;
  let lines = line - 1;
  let lineNumber = line - 1;
  let pending: { record: JournalRecord; bytes: number; offset: number }[] = [];
  let suspect: string | undefined;
  for (const { offset, text, complete } of splitLines(fd, from, size)) {
    lineNumber++;
    // A damaged line followed by more is damage, not a torn end.
    if (suspect !== undefined) throw new StoreCorruptError(location, suspect);
    // The last line of the file with no newline: the torn end of a commit being written.
    if (!complete) break;
    const body = text[text.length - 1] === 0x0d ? text.subarray(0, -1) : text;
    if (isBlank(body)) continue;
    let parsed: ReturnType<typeof parseLine>;
    try {
      parsed = parseLine(body, offset);
    } catch (error) {
      if (!(error instanceof RecordProblem)) throw error;
      suspect = `line ${lineNumber} (byte ${offset}) is damaged: ${error.message}`;
      continue;
    }
    if (parsed.type !== "commit") {
      pending.push({ record: parsed, bytes: text.length + 1, offset });
      continue;
    }
    if (parsed.records !== pending.length) {
      throw new StoreCorruptError(
        location,
        `the commit at line ${lineNumber} (byte ${offset}) closes ${parsed.records} records but ${pending.length} precede it`,
      );
    }
    for (const item of pending) apply(item.record, item.bytes, item.offset);
    pending = [];
    end = offset + text.length + 1;
    lines = lineNumber;
  }
  // A damaged last line, or records without their commit line, are what a crash while
  // appending leaves: that commit never completed and is dropped.
  return { end, lines };
}

/** Yields the lines from `from` to `size`, each without its newline; the last may be torn. */
function* splitLines(
  fd: number,
  from: number,
  size: number,
): Generator<{ offset: number; text: Buffer; complete: boolean }> {
  const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(size - from, 1)));
  let carry: Buffer[] = [];
  let carryStart = from;
  let position = from;
  while (position < size) {
    const got = readFully(fd, chunk.subarray(0, Math.min(chunk.length, size - position)), position);
    if (got === 0) break; // the file shrank while being read
    const view = chunk.subarray(0, got);
    let start = 0;
    for (;;) {
      const newline = view.indexOf(0x0a, start);
      if (newline === -1) {
        if (carry.length === 0) carryStart = position + start;
        // Copied: the chunk buffer is reused for the next read.
        if (start < got) carry.push(Buffer.from(view.subarray(start)));
        break;
      }
      const piece = view.subarray(start, newline);
      if (carry.length === 0) {
        yield { offset: position + start, text: piece, complete: true };
      } else {
        yield { offset: carryStart, text: Buffer.concat([...carry, piece]), complete: true };
        carry = [];
      }
      start = newline + 1;
    }
    position += got;
  }
  if (carry.length > 0) yield { offset: carryStart, text: Buffer.concat(carry), complete: false };
}

/** Reads until `buffer` is full or the file ends; returns the bytes read. */
export function readFully(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const got = fs.readSync(fd, buffer, done, buffer.length - done, position + done);
    if (got === 0) break;
    done += got;
  }
  return done;
}

function isBlank(text: Buffer): boolean {
  for (const byte of text) {
    if (byte !== 0x20 && byte !== 0x09) return false;
  }
  return true;
}
