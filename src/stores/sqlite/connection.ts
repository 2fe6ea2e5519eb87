import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import {
  ConfigurationError,
  describeThrown,
  errorCode,
  StoreCorruptError,
} from "../../core/errors.js";
import type { Durability } from "../store.js";
import { type Database, sqliteDriver } from "./driver.js";
import { inspectSchema, migrate, SCHEMA_VERSION } from "./schema.js";

/** How long a statement waits for another process's write lock before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

/** WAL pages between automatic checkpoints (see `configure`). */
export const CHECKPOINT_PAGES = 10_000;

const SQLITE_HEADER = Buffer.from("SQLite format 3\u0000", "latin1");

/**
 * Opens (creating when needed) the store file at `file`: checks it is ours before writing
 * a byte, then switches to WAL, sets durability and brings the schema up to date. A file
 * that is refused is left exactly as it was.
 */
export function openDatabase(file: string, durability: Durability, location: string): Database {
  const inMemory = file === ":memory:";
  if (!inMemory) {
    prepareDirectory(file);
    checkHeader(file, location);
  }
  const Driver = sqliteDriver();
  let db: Database;
  try {
    db = new Driver(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw unusable(file, error);
  }
  try {
    configure(db, file, durability, location);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function configure(db: Database, file: string, durability: Durability, location: string): void {
  try {
    const schema = inspectSchema(db, location);
    // Only now, with the file known to be ours or empty, may anything be written to it.
    db.pragma("journal_mode = WAL");
    db.pragma(`synchronous = ${durability === "full" ? "FULL" : "NORMAL"}`);
    // A checkpoint copies the WAL into the database and syncs both files, stalling the
    // commit that triggers it for milliseconds. At SQLite's default (every 1000 pages, a
    // checkpoint every ~150 commits of a busy run) those stalls were a third of a 100k-task
    // run's time; every 10,000 pages (40 MB of WAL) they are rare. It changes nothing for
    // durability: a committed transaction is as safe in the WAL as in the database. A
    // large commit is checkpointed on its own instead (see `checkpointLargeCommit`).
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    // Cap what stays on disk once the WAL is checkpointed.
    db.pragma("journal_size_limit = 67108864");
    db.pragma("cache_size = -32000");
    // Creating or upgrading takes the write lock; a current file is opened without it.
    if (schema.kind === "empty" || schema.version < SCHEMA_VERSION) migrate(db, location);
  } catch (error) {
    throw translate(error, file, location);
  }
}

/** Turns of the event loop between a large commit and its checkpoint (see below). */
const TURNS_BEFORE_CHECKPOINT = 4;

/**
 * Copies a large commit, which SQLite was told not to checkpoint (see `BatchWriter`), from
 * the WAL into the database, a few turns of the event loop later; `isOpen` says whether
 * the store still uses `db` by then (closing the last connection checkpoints anyway).
 *
 * Left to SQLite, that copy would run inside whichever later commit crossed
 * {@link CHECKPOINT_PAGES}, in the same synchronous call as that commit's own writes:
 * about 150 ms for two 20 MB results, with nothing else on the event loop running. Split
 * in two, with turns of the event loop between the parts, timers, I/O and V8's own tasks
 * get to run. V8's are what matters for memory: Buffers are freed only by a full GC, whose
 * incremental marking V8 finishes in small steps, one per task it runs on the event loop.
 * With the write and the checkpoint back to back, that GC ended only after the next task
 * had allocated its result, and a chain of tasks returning 20 MB Buffers peaked 20 to
 * 40 MB higher (bench/scenarios/30-peak-rss.mjs). With the turns (microseconds when
 * nothing else waits; one turn was measured to be sometimes too few), the GC ends before
 * the checkpoint, and V8's helper threads free the Buffers it found dead while the
 * checkpoint runs, before the tasks this commit releases allocate theirs.
 *
 * Durability does not depend on it: the commit is durable in the WAL before this runs.
 * A failed checkpoint is ignored, as SQLite ignores a failed autocheckpoint: the WAL keeps
 * the commit, and the next checkpoint copies it.
 */
export async function checkpointLargeCommit(db: Database, isOpen: () => boolean): Promise<void> {
  for (let turn = 0; turn < TURNS_BEFORE_CHECKPOINT; turn++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!isOpen()) return;
  try {
    // PASSIVE never waits for another connection: it copies what no reader still needs.
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch {
    // See above: the commit is safe in the WAL.
  }
}

/** SQLite's own errors, as the store's: damaged files, unwritable paths. */
function translate(error: unknown, file: string, location: string): unknown {
  switch (errorCode(error)) {
    case "SQLITE_NOTADB":
      return new StoreCorruptError(location, "it is not a SQLite database");
    case "SQLITE_CORRUPT":
    case "SQLITE_CORRUPT_INDEX":
    case "SQLITE_CORRUPT_SEQUENCE":
    case "SQLITE_CORRUPT_VTAB":
      return new StoreCorruptError(location, `SQLite reports damage (${describeThrown(error)})`);
    case "SQLITE_READONLY":
    case "SQLITE_READONLY_DIRECTORY":
    case "SQLITE_READONLY_DBMOVED":
    case "SQLITE_CANTOPEN":
    case "SQLITE_IOERR":
    case "SQLITE_PERM":
    case "SQLITE_AUTH":
      return unusable(file, error);
    default:
      return error;
  }
}

function prepareDirectory(file: string): void {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new ConfigurationError(
      `SQLiteStateStore cannot create the directory "${dir}" for its state file "${file}": ${describeThrown(error)}. Choose a path in a directory you can write to.`,
      { code: "STORE_PATH_UNUSABLE", cause: error },
    );
  }
}

/**
 * Refuses a file that is not SQLite by its first bytes, before SQLite touches it. An empty
 * file is fine: SQLite treats it as a new database, and a crash may leave one behind.
 */
function checkHeader(file: string, location: string): void {
  let size: number;
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) {
      throw new ConfigurationError(
        `SQLiteStateStore path "${file}" is a directory; give the path of a file inside it, such as "${file}/state.db".`,
        { code: "STORE_PATH_UNUSABLE" },
      );
    }
    size = stat.size;
  } catch (error) {
    if (errorCode(error) === "ENOENT") return;
    if (error instanceof ConfigurationError) throw error;
    throw unusable(file, error);
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let read = 0;
  try {
    const fd = openSync(file, "r");
    try {
      read = readSync(fd, header, 0, header.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw unusable(file, error);
  }
  if (read < header.length || !header.equals(SQLITE_HEADER)) {
    throw new StoreCorruptError(
      location,
      "it is not a SQLite database (its first bytes are not SQLite's header)",
    );
  }
}

function unusable(file: string, error: unknown): ConfigurationError {
  return new ConfigurationError(
    `SQLiteStateStore cannot open or write its state file "${file}": ${describeThrown(error)}. Choose a path in a directory you can write to.`,
    { code: "STORE_PATH_UNUSABLE", cause: error },
  );
}
