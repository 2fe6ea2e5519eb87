import {
  classifyTables,
  FORMAT,
  foreignMeta,
  latestVersion,
  markedSchema,
  pendingMigrations,
  type SchemaState,
} from "../shared/schema-marker.js";
import type { Database } from "./driver.js";

/** One step of the schema: what it brings, and the statements that bring it. */
export interface Migration {
  /** The schema version the file has once this migration ran. */
  readonly version: number;
  readonly description: string;
  readonly statements: readonly string[];
}

/**
 * Every schema change, oldest first. A file at version n gets the migrations after n, all
 * in one transaction with the version bump, so a crash leaves it wholly at n or at the
 * latest version. Append new steps; never edit a released one.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "task states, runs, attempts and locks",
    statements: [
      // Workflow and run key are interned once per partition: rows then carry a small
      // integer instead of two strings, which keeps the keys short and commits fast.
      `CREATE TABLE partitions (
        id INTEGER PRIMARY KEY,
        workflow TEXT NOT NULL,
        run_key TEXT NOT NULL,
        UNIQUE (workflow, run_key)
      ) STRICT`,
      // A rowid table with a unique key rather than WITHOUT ROWID: results may be many
      // megabytes, and the result columns come last so reading a state never touches them.
      `CREATE TABLE task_states (
        partition INTEGER NOT NULL,
        task TEXT NOT NULL,
        status TEXT NOT NULL,
        run_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        duration REAL,
        version TEXT,
        error TEXT,
        result_kind TEXT,
        result ANY
      ) STRICT`,
      "CREATE UNIQUE INDEX task_states_key ON task_states (partition, task)",
      // seq keeps the order runs were first written (it breaks ties between start times)
      // and is what attempts refer to. A run known only from its attempts has no status
      // until its own record arrives, and is not listed.
      `CREATE TABLE runs (
        seq INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL UNIQUE,
        workflow TEXT NOT NULL,
        run_key TEXT NOT NULL,
        status TEXT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        error TEXT
      ) STRICT`,
      "CREATE INDEX runs_by_start ON runs (started_at)",
      "CREATE INDEX runs_by_workflow ON runs (workflow, started_at)",
      `CREATE TABLE attempts (
        run INTEGER NOT NULL,
        task TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        status TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        error TEXT,
        PRIMARY KEY (run, task, attempt)
      ) STRICT, WITHOUT ROWID`,
      `CREATE TABLE locks (
        workflow TEXT PRIMARY KEY,
        run_id TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        acquired_at INTEGER NOT NULL,
        heartbeat_at INTEGER NOT NULL
      ) STRICT`,
    ],
  },
  {
    version: 2,
    description: "large results stored in bounded chunks",
    statements: [
      // A result bigger than one chunk leaves `result` NULL and is kept here in pieces, so
      // SQLite never holds a copy of a whole multi-megabyte value (a bound copy, a record
      // and its overflow pages) while writing or reading it. result_size, its length in
      // bytes, says a state's result is chunked; v1 rows keep theirs inline.
      "ALTER TABLE task_states ADD COLUMN result_size INTEGER",
      `CREATE TABLE result_chunks (
        partition INTEGER NOT NULL,
        task TEXT NOT NULL,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (partition, task, seq)
      ) STRICT`,
      // The chunks go with the state that owns them, whichever statement replaces or
      // deletes it: the store never has to read a state before overwriting it.
      `CREATE TRIGGER task_states_replace_chunks AFTER UPDATE OF result_size ON task_states
       WHEN OLD.result_size IS NOT NULL
       BEGIN DELETE FROM result_chunks WHERE partition = OLD.partition AND task = OLD.task; END`,
      `CREATE TRIGGER task_states_delete_chunks AFTER DELETE ON task_states
       WHEN OLD.result_size IS NOT NULL
       BEGIN DELETE FROM result_chunks WHERE partition = OLD.partition AND task = OLD.task; END`,
    ],
  },
];

/** The schema version this FlowWeaver writes. */
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

/** Tables a store at {@link SCHEMA_VERSION} must have. */
const TABLES = ["meta", "partitions", "task_states", "result_chunks", "runs", "attempts", "locks"];

/**
 * Reads the file's schema without writing anything, and refuses what is not ours: a
 * database with tables but no FlowWeaver marker (StoreCorruptError) or one written by a
 * newer schema (StoreVersionError).
 */
export function inspectSchema(
  db: Database,
  location: string,
  latest: number = SCHEMA_VERSION,
): SchemaState {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'")
    .pluck()
    .all() as string[];
  if (classifyTables(names, location, "it is a SQLite database of something else") === "empty") {
    return { kind: "empty" };
  }
  return markedSchema(readMeta(db, location), names, location, latest, {
    version: SCHEMA_VERSION,
    tables: TABLES,
  });
}

/**
 * Brings the file to the latest version. Everything (the marker, every migration and the
 * version bump) happens in one IMMEDIATE transaction that re-inspects the file under the
 * write lock, so two processes opening a new file at once create it once, and a crash
 * mid-way leaves no half-made store. Does nothing to a file already current.
 */
export function migrate(
  db: Database,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  const latest = latestVersion(migrations);
  const apply = db.transaction(() => {
    const state = inspectSchema(db, location, latest);
    const from = state.kind === "empty" ? 0 : state.version;
    if (from === latest) return;
    if (from === 0) {
      db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT");
      db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(FORMAT);
    }
    for (const migration of pendingMigrations(migrations, from)) {
      for (const statement of migration.statements) db.exec(statement);
    }
    db.prepare(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    ).run(String(latest));
  });
  apply.immediate();
}

function readMeta(db: Database, location: string): Map<string, string> {
  let rows: [unknown, unknown][];
  try {
    rows = db.prepare("SELECT key, value FROM meta").raw().all() as [unknown, unknown][];
  } catch (error) {
    throw foreignMeta(location, error);
  }
  return new Map(rows.map(([key, value]) => [String(key), String(value)]));
}
