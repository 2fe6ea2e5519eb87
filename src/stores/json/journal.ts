import fs from "node:fs";
import path from "node:path";
import { ConfigurationError, FlowWeaverError, StoreCorruptError } from "../../core/errors.js";
import { decodeValue, type EncodedValue } from "../../core/serialization.js";
import { isCode } from "../file-lock.js";
import type { EncodedCommit } from "./batch.js";
import { compactJournal } from "./compaction.js";
import { createJournal, fdatasync, replaceWithHeader, sweepTempFiles, writeAt } from "./files.js";
import { encodedFromBytes, type ResultRef } from "./format.js";
import { readFully, readJournal, readRecords } from "./journal-reader.js";
import { LiveState } from "./live-state.js";
import type { ResolvedOptions } from "./options.js";

/** What a JSON store did since it was opened, for diagnostics and benchmarks. */
export interface JSONStateStoreStats {
  /** Bytes of the journal up to its last commit. */
  readonly fileBytes: number;
  /** Bytes of the journal lines that still matter. */
  readonly liveBytes: number;
  readonly commits: number;
  readonly bytesAppended: number;
  readonly compactions: number;
  /** Bytes written by compactions: over time, never more than a fraction of `bytesAppended`. */
  readonly bytesCompacted: number;
  /** Why the last compaction failed, if it did (the journal stays valid; it is retried later). */
  readonly compactionError: string | undefined;
}

/**
 * The journal file and the live state it holds: reading it (whole, or what another
 * process appended since), appending commits, and compacting. Knows nothing of locks:
 * the store calls the writing methods only while it holds the file's lock.
 */
export class Journal {
  readonly path: string;
  readonly location: string;
  readonly #options: ResolvedOptions;
  #fd = -1;
  /** Which file `#fd` is, to notice another process replacing it (compaction). */
  #identity: { dev: number; ino: number } | undefined;
  #writable = true;
  /** End of the last complete commit: where the next append goes. */
  #end = 0;
  #lines = 0;
  #headerBytes = 0;
  /** The file is empty, holds a torn or newline-less header, or was deleted. */
  #needsHeader = false;
  #live = new LiveState();
  #broken: Error | undefined;
  /** After a failed compaction, the size the journal must reach before the next try. */
  #compactionFloor = 0;
  #commits = 0;
  #bytesAppended = 0;
  #compactions = 0;
  #bytesCompacted = 0;
  #compactionError: string | undefined;

  /** Opens the journal at `file` (an absolute path), creating it and its directory if missing. */
  constructor(file: string, options: ResolvedOptions) {
    this.path = file;
    this.location = `json:${file}`;
    this.#options = options;
    this.#createIfMissing();
    this.#load();
  }

  get live(): LiveState {
    return this.#live;
  }

  get writable(): boolean {
    return this.#writable;
  }

  get stats(): JSONStateStoreStats {
    return {
      fileBytes: this.#end,
      liveBytes: this.#live.liveBytes,
      commits: this.#commits,
      bytesAppended: this.#bytesAppended,
      compactions: this.#compactions,
      bytesCompacted: this.#bytesCompacted,
      compactionError: this.#compactionError,
    };
  }

  /**
   * Catches up with what another process wrote since this journal last looked: new
   * commits appended, or a new file (compacted, or replaced). Only for a store that does
   * not hold the lock: the holder is the only writer.
   */
  refresh(): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(this.path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw this.#cannotOpen(error);
      // Deleted: an empty store from now on; the next writer creates the file again.
      this.#closeFd();
      this.#identity = undefined;
      this.#live = new LiveState();
      this.#end = this.#lines = this.#headerBytes = 0;
      this.#needsHeader = true;
      return;
    }
    const same = stat.dev === this.#identity?.dev && stat.ino === this.#identity.ino;
    if (!same || stat.size < this.#end || (this.#needsHeader && stat.size > 0)) {
      this.#load();
    } else if (stat.size > this.#end) {
      const tail = readRecords(
        this.#fd,
        this.location,
        this.#end,
        this.#lines + 1,
        stat.size,
        (record, bytes, offset) => this.#live.apply(record, bytes, offset),
      );
      this.#end = tail.end;
      this.#lines = tail.lines;
    }
  }

  /** Reads a stored result's bytes and decodes them; `what` names it for messages. */
  readResult(result: ResultRef, what: string): unknown {
    let encoded: EncodedValue;
    if (result.kind === "memory") {
      encoded = result.value;
    } else {
      const bytes = Buffer.allocUnsafe(result.length);
      if (readFully(this.#fd, bytes, result.offset) < result.length) {
        throw new StoreCorruptError(this.location, `${what} lies beyond the end of the file`);
      }
      encoded = encodedFromBytes(result.kind, bytes);
    }
    try {
      return decodeValue(encoded);
    } catch (error) {
      throw new StoreCorruptError(
        this.location,
        `${what} cannot be decoded (${(error as Error).message})`,
      );
    }
  }

  /**
   * Readies the file for appends, once the lock is held: a fresh header where there is
   * none, and a torn or unfinished last commit cut off, so new lines never join a torn one.
   */
  prepareForAppends(): void {
    if (!this.#writable) {
      throw new ConfigurationError(
        `The JSON state store file ${this.path} can be read but not written (permission denied); give FlowWeaver write access to it or use another path.`,
      );
    }
    if (this.#needsHeader) {
      const fd = replaceWithHeader(this.path);
      const stat = fs.fstatSync(fd);
      this.#closeFd();
      this.#fd = fd;
      this.#identity = { dev: stat.dev, ino: stat.ino };
      this.#end = this.#headerBytes = stat.size;
      this.#lines = 1;
      this.#needsHeader = false;
    } else if (fs.fstatSync(this.#fd).size > this.#end) {
      fs.ftruncateSync(this.#fd, this.#end);
      if (this.#options.durability === "full") fs.fsyncSync(this.#fd);
    }
    sweepTempFiles(this.path);
  }

  /** Appends one commit in one write (and flushes it with durability "full"). */
  async append(commit: EncodedCommit): Promise<void> {
    if (this.#broken) throw this.#broken;
    const start = this.#end;
    try {
      await writeAt(this.#fd, commit.buffers, start);
      if (this.#options.durability === "full") await fdatasync(this.#fd);
    } catch (error) {
      try {
        fs.ftruncateSync(this.#fd, start);
      } catch {
        // The file may now hold lines this store's memory does not: stop writing.
        this.#broken = new FlowWeaverError(
          `The JSON state store ${this.path} could not undo a failed write; close it and open it again.`,
          { code: "STORE_WRITE_FAILED", cause: error },
        );
      }
      throw new FlowWeaverError(
        `Could not write to the JSON state store ${this.path}: ${(error as Error).message}.`,
        { code: "STORE_WRITE_FAILED", cause: error },
      );
    }
    this.#end = start + commit.bytes;
    this.#lines += commit.lines;
    this.#commits++;
    this.#bytesAppended += commit.bytes;
    for (const { record, bytes, offset } of commit.records(start)) {
      this.#live.apply(record, bytes, offset);
    }
  }

  /**
   * Compaction pays once the superseded lines outweigh the live ones `compactRatio`
   * times: each compaction then writes fewer bytes than were appended since the last
   * one, so over a store's life it costs time linear in what was written.
   */
  shouldCompact(): boolean {
    const live = this.#live.liveBytes;
    const dead = this.#end - this.#headerBytes - live;
    if (dead <= 0 || this.#end < this.#compactionFloor) return false;
    // Nothing live (everything cleared): compacting writes only a header.
    if (live === 0) return true;
    return dead >= this.#options.compactMinBytes && dead > this.#options.compactRatio * live;
  }

  /** Rewrites the journal with only its live records; a failure leaves it as it was. */
  async compact(): Promise<void> {
    try {
      const done = await compactJournal(this.path, this.#fd, this.#end, this.#live);
      const stat = fs.fstatSync(done.fd);
      this.#closeFd();
      this.#fd = done.fd;
      this.#identity = { dev: stat.dev, ino: stat.ino };
      this.#end = done.size;
      this.#lines = done.lines;
      this.#headerBytes = done.headerBytes;
      done.apply();
      this.#compactions++;
      this.#bytesCompacted += done.size;
      this.#compactionError = undefined;
    } catch (error) {
      // The journal is intact; appending goes on and compaction is tried again later.
      this.#compactionFloor =
        this.#end + Math.max(this.#options.compactMinBytes, this.#live.liveBytes);
      this.#compactionError = (error as Error).message;
    }
  }

  close(): void {
    this.#closeFd();
  }

  #closeFd(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  #createIfMissing(): void {
    const dir = path.dirname(this.path);
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new ConfigurationError(
        `Cannot create the directory ${dir} for the JSON state store ${this.path}: ${(error as Error).message}. Choose a path whose directory can be created.`,
        { cause: error },
      );
    }
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(this.path);
    } catch (error) {
      if (!isCode(error, "ENOENT")) throw this.#cannotOpen(error);
    }
    if (stat?.isDirectory()) {
      throw new ConfigurationError(
        `The JSON state store path ${this.path} is a directory; give the path of a file, such as ${path.join(this.path, "state.json")}.`,
      );
    }
    if (stat !== undefined) return;
    try {
      createJournal(this.path);
    } catch (error) {
      throw new ConfigurationError(
        `Cannot create the JSON state store file ${this.path}: ${(error as Error).message}. Choose a path in a directory you can write to.`,
        { cause: error },
      );
    }
  }

  /** (Re)reads the whole journal; on failure, keeps what was there and throws. */
  #load(): void {
    let fd: number;
    let writable = true;
    try {
      fd = fs.openSync(this.path, "r+");
    } catch (error) {
      if (!isCode(error, "EACCES", "EPERM", "EROFS")) throw this.#cannotOpen(error);
      // Readable but not writable: reading works; writing says why it cannot.
      writable = false;
      try {
        fd = fs.openSync(this.path, "r");
      } catch (again) {
        throw this.#cannotOpen(again);
      }
    }
    const live = new LiveState();
    let outcome: ReturnType<typeof readJournal>;
    let stat: fs.Stats;
    try {
      outcome = readJournal(fd, this.location, (record, bytes, offset) =>
        live.apply(record, bytes, offset),
      );
      stat = fs.fstatSync(fd);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
    this.#closeFd();
    this.#fd = fd;
    this.#writable = writable;
    this.#identity = { dev: stat.dev, ino: stat.ino };
    this.#live = live;
    this.#end = outcome.end;
    this.#lines = outcome.lines;
    this.#headerBytes = outcome.headerBytes;
    this.#needsHeader = outcome.needsHeader;
  }

  #cannotOpen(error: unknown): ConfigurationError {
    return new ConfigurationError(
      `Cannot open the JSON state store file ${this.path}: ${(error as Error).message}.`,
      { cause: error },
    );
  }
}
