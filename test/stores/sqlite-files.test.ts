import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { encodeValue, SQLiteStateStore } from "../../src/index.js";
import { FORMAT } from "../../src/stores/shared/schema-marker.js";
import { CHUNK_BYTES } from "../../src/stores/sqlite/results.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "../../src/stores/sqlite/schema.js";
import { stateWrite } from "./contract/harness.js";
import { thrown } from "./failures.js";
import { useSQLiteScratch, withDatabase } from "./sqlite-helpers.js";

const scratch = useSQLiteScratch();

/** The file's bytes and its directory's entries: what "left untouched" means. */
function snapshot(file: string): { hash: string; entries: string[] } {
  return {
    hash: createHash("sha256").update(fs.readFileSync(file)).digest("hex"),
    entries: fs.readdirSync(path.dirname(file)).sort(),
  };
}

/** What opening a store on `file` throws; the file and its directory must be left as they were. */
function refusal(file: string): Error & Record<string, unknown> {
  const before = snapshot(file);
  const error = thrown(() => new SQLiteStateStore(file));
  expect(snapshot(file)).toEqual(before);
  return error;
}

/** What opening a store on a database `sql` made throws: StoreCorruptError, nothing changed. */
function refusedDatabase(sql: string): Error & Record<string, unknown> {
  const file = path.join(scratch.dir, "other.db");
  withDatabase(file, (db) => db.exec(sql));
  const error = refusal(file);
  expect(error.name).toBe("StoreCorruptError");
  return error;
}

function tables(db: Database.Database): string[] {
  return (
    db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[]
  ).filter((name) => !name.startsWith("sqlite_"));
}

describe("SQLiteStateStore files", () => {
  it("creates missing parent directories and reports an absolute location", async () => {
    const file = path.join(scratch.dir, "a", "b", "c", "state.db");
    const store = scratch.open(file);
    expect(store.path).toBe(file);
    expect(store.location).toBe(`sqlite:${file}`);
    await store.commit({ runs: [], taskStates: [], attempts: [] });
    expect(fs.statSync(file).isFile()).toBe(true);
    const relative = scratch.open(path.relative(process.cwd(), path.join(scratch.dir, "rel.db")));
    expect(path.isAbsolute(relative.path)).toBe(true);
  });

  it("names a path whose directory cannot be created", () => {
    const blocker = path.join(scratch.dir, "not-a-dir");
    fs.writeFileSync(blocker, "a file where a directory should be");
    const file = path.join(blocker, "sub", "state.db");
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("ConfigurationError");
    expect(error.code).toBe("STORE_PATH_UNUSABLE");
    expect(error.message).toContain(file);
    expect(fs.readFileSync(blocker, "utf8")).toBe("a file where a directory should be");
  });

  it("names a path that is a directory", () => {
    const error = thrown(() => new SQLiteStateStore(scratch.dir));
    expect(error.code).toBe("STORE_PATH_UNUSABLE");
    expect(error.message).toContain(scratch.dir);
    expect(error.message).toContain("is a directory");
  });

  it.each([
    ["a text file", "hello, this is not a database\n"],
    ["a JSON file", '{"format":"flowweaver-state","version":1}\n'],
    ["a tiny file", "SQL"],
    ["a file with a damaged SQLite header", "SQLite format 2\u0000".padEnd(4096, "\u0000")],
  ])("refuses %s and leaves it byte for byte as it was", (_, content) => {
    const { file } = scratch;
    fs.writeFileSync(file, content);
    const error = refusal(file);
    expect(error.name).toBe("StoreCorruptError");
    expect(error.code).toBe("STORE_CORRUPT");
    expect(error.message).toContain(file);
  });

  it("refuses a SQLite file whose pages are garbage, unchanged", () => {
    const { file } = scratch;
    const header = Buffer.from("SQLite format 3\u0000", "latin1");
    fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(8192 - header.length, 0xab)]));
    expect(refusal(file).name).toBe("StoreCorruptError");
  });

  it("refuses another application's SQLite database, unchanged", () => {
    const error = refusedDatabase(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')",
    );
    expect(error.message).toContain('"users"');
    expect(error.message).toContain("left as it is");
  });

  it("refuses a database with a meta table but no FlowWeaver marker, unchanged", () => {
    const error = refusedDatabase(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'other-app')",
    );
    expect(error.message).toContain(FORMAT);
  });

  it("refuses a database whose meta table has other columns, unchanged", () => {
    const error = refusedDatabase("CREATE TABLE meta (id INTEGER PRIMARY KEY, data BLOB)");
    expect(error.message).toContain("not FlowWeaver's");
  });

  it("refuses a store from a newer schema version, unchanged", async () => {
    const { file } = scratch;
    const store = new SQLiteStateStore(file);
    await store.commit({
      runs: [],
      taskStates: [stateWrite({ task: "a", result: encodeValue(1, "x") })],
      attempts: [],
    });
    await store.close();
    // A later FlowWeaver's migration: what this version must not pretend to understand.
    withDatabase(file, (db) =>
      migrate(db, "test", [
        ...MIGRATIONS,
        {
          version: SCHEMA_VERSION + 1,
          description: "future",
          statements: ["CREATE TABLE future (x TEXT) STRICT"],
        },
      ]),
    );
    const error = refusal(file);
    expect(error.name).toBe("StoreVersionError");
    expect(error.code).toBe("STORE_VERSION");
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(error.message).toContain(file);
  });

  it("refuses a store whose tables are missing", async () => {
    const { file } = scratch;
    await new SQLiteStateStore(file).close();
    withDatabase(file, (db) => db.exec("DROP TABLE attempts"));
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.message).toContain('"attempts"');
  });

  it("opens an empty file, and a SQLite file with no tables yet, as new stores", async () => {
    const empty = path.join(scratch.dir, "empty.db");
    fs.writeFileSync(empty, "");
    expect(await scratch.open(empty).listWorkflows()).toEqual([]);
    // What a crash before the schema's transaction committed leaves: WAL on, no tables.
    const bare = path.join(scratch.dir, "bare.db");
    withDatabase(bare, (db) => db.pragma("journal_mode = WAL"));
    expect(await scratch.open(bare).listWorkflows()).toEqual([]);
  });
});

describe("SQLiteStateStore schema", () => {
  it("writes the format marker and schema version", async () => {
    const { file } = scratch;
    await new SQLiteStateStore(file).close();
    const db = new Database(file, { readonly: true });
    const meta = Object.fromEntries(
      db.prepare("SELECT key, value FROM meta").raw().all() as string[][],
    );
    expect(meta).toEqual({ format: FORMAT, schema_version: String(SCHEMA_VERSION) });
    expect(tables(db)).toEqual([
      "attempts",
      "locks",
      "meta",
      "partitions",
      "result_chunks",
      "runs",
      "task_states",
    ]);
    db.close();
  });

  it("creates the schema in one transaction: a failure part-way leaves no tables at all", () => {
    const { file } = scratch;
    const db = new Database(file);
    const broken = [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        description: "broken",
        statements: ["CREATE TABLE extra (x TEXT)", "NOT SQL AT ALL"],
      },
    ];
    expect(() => migrate(db, "test", broken)).toThrow();
    expect(tables(db)).toEqual([]);
    db.close();
    // And the file is a perfectly good new store.
    expect(scratch.open(file).location).toBe(`sqlite:${file}`);
  });

  it("runs later migrations in order, in one transaction with the version bump", async () => {
    const { file } = scratch;
    await new SQLiteStateStore(file).close();
    const db = new Database(file);
    const version = () =>
      db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get();
    const failing = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: "ok", statements: ["CREATE TABLE two (x TEXT)"] },
      { version: SCHEMA_VERSION + 2, description: "fails", statements: ["NOT SQL"] },
    ];
    expect(() => migrate(db, "test", failing)).toThrow();
    expect(version()).toBe(String(SCHEMA_VERSION));
    expect(tables(db)).not.toContain("two");
    migrate(db, "test", [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, description: "ok", statements: ["CREATE TABLE two (x TEXT)"] },
      {
        version: SCHEMA_VERSION + 2,
        description: "ok",
        statements: ["ALTER TABLE two ADD COLUMN y TEXT"],
      },
    ]);
    expect(version()).toBe(String(SCHEMA_VERSION + 2));
    expect(tables(db)).toContain("two");
    db.close();
  });

  it("opens a store another connection created meanwhile without touching it", async () => {
    const { file } = scratch;
    const first = scratch.open(file);
    const second = scratch.open(file);
    await first.commit({ runs: [], taskStates: [], attempts: [] });
    expect(await second.listWorkflows()).toEqual([]);
  });

  it("keeps a top-level Buffer as a BLOB, not as text", async () => {
    const { file } = scratch;
    const store = scratch.open(file);
    // The largest result kept inline; larger ones are chunked (sqlite-results.test.ts).
    const payload = Buffer.alloc(CHUNK_BYTES, 7);
    await store.commit({
      runs: [],
      taskStates: [stateWrite({ task: "big", result: encodeValue(payload, "x") })],
      attempts: [],
    });
    const db = new Database(file, { readonly: true });
    const row = db
      .prepare("SELECT result_kind, typeof(result), length(result) FROM task_states")
      .raw()
      .get();
    db.close();
    expect(row).toEqual(["buffer", "blob", payload.length]);
    const loaded = await store.loadResult("wf", "default", "big");
    // equals(), not toEqual: a deep comparison walks the bytes one by one.
    expect(Buffer.isBuffer(loaded) && loaded.equals(payload)).toBe(true);
  });
});
