import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeValue, SQLiteStateStore } from "../../src/index.js";
import { CHUNK_BYTES } from "../../src/stores/sqlite/results.js";
import { FORMAT, MIGRATIONS, migrate, SCHEMA_VERSION } from "../../src/stores/sqlite/schema.js";

let dir: string;
const stores: SQLiteStateStore[] = [];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function open(file: string, options?: ConstructorParameters<typeof SQLiteStateStore>[1]) {
  const store = new SQLiteStateStore(file, options);
  stores.push(store);
  return store;
}

/** The file's bytes and its directory's entries: what "left untouched" means. */
function snapshot(file: string): { hash: string; entries: string[] } {
  return {
    hash: createHash("sha256").update(fs.readFileSync(file)).digest("hex"),
    entries: fs.readdirSync(path.dirname(file)).sort(),
  };
}

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected an error, but none was thrown");
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
    const file = path.join(dir, "a", "b", "c", "state.db");
    const store = open(file);
    expect(store.path).toBe(file);
    expect(store.location).toBe(`sqlite:${file}`);
    await store.commit({ runs: [], taskStates: [], attempts: [] });
    expect(fs.statSync(file).isFile()).toBe(true);
    const relative = open(path.relative(process.cwd(), path.join(dir, "rel.db")));
    expect(path.isAbsolute(relative.path)).toBe(true);
  });

  it("names a path whose directory cannot be created", () => {
    const blocker = path.join(dir, "not-a-dir");
    fs.writeFileSync(blocker, "a file where a directory should be");
    const file = path.join(blocker, "sub", "state.db");
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("ConfigurationError");
    expect(error.code).toBe("STORE_PATH_UNUSABLE");
    expect(error.message).toContain(file);
    expect(fs.readFileSync(blocker, "utf8")).toBe("a file where a directory should be");
  });

  it("names a path that is a directory", () => {
    const error = thrown(() => new SQLiteStateStore(dir));
    expect(error.code).toBe("STORE_PATH_UNUSABLE");
    expect(error.message).toContain(dir);
    expect(error.message).toContain("is a directory");
  });

  it.each([
    ["a text file", "hello, this is not a database\n"],
    ["a JSON file", '{"format":"flowweaver-state","version":1}\n'],
    ["a tiny file", "SQL"],
    ["a file with a damaged SQLite header", "SQLite format 2\u0000".padEnd(4096, "\u0000")],
  ])("refuses %s and leaves it byte for byte as it was", (_, content) => {
    const file = path.join(dir, "state.db");
    fs.writeFileSync(file, content);
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.code).toBe("STORE_CORRUPT");
    expect(error.message).toContain(file);
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses a SQLite file whose pages are garbage, unchanged", () => {
    const file = path.join(dir, "state.db");
    const header = Buffer.from("SQLite format 3\u0000", "latin1");
    fs.writeFileSync(file, Buffer.concat([header, Buffer.alloc(8192 - header.length, 0xab)]));
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses another application's SQLite database, unchanged", () => {
    const file = path.join(dir, "app.db");
    const db = new Database(file);
    db.exec(
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ada')",
    );
    db.close();
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.message).toContain('"users"');
    expect(error.message).toContain("left as it is");
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses a database with a meta table but no FlowWeaver marker, unchanged", () => {
    const file = path.join(dir, "meta.db");
    const db = new Database(file);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('format', 'other-app')",
    );
    db.close();
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.message).toContain(FORMAT);
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses a database whose meta table has other columns, unchanged", () => {
    const file = path.join(dir, "meta-columns.db");
    const db = new Database(file);
    db.exec("CREATE TABLE meta (id INTEGER PRIMARY KEY, data BLOB)");
    db.close();
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.message).toContain("not FlowWeaver's");
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses a store from a newer schema version, unchanged", async () => {
    const file = path.join(dir, "state.db");
    const store = new SQLiteStateStore(file);
    await store.commit({
      runs: [],
      taskStates: [
        {
          workflow: "wf",
          runKey: "default",
          task: "a",
          status: "COMPLETED",
          runId: "r",
          attempts: 1,
          startedAt: 1,
          finishedAt: 2,
          duration: 0.001,
          version: undefined,
          error: undefined,
          result: encodeValue(1, "x"),
        },
      ],
      attempts: [],
    });
    await store.close();
    // A later FlowWeaver's migration: what this version must not pretend to understand.
    const db = new Database(file);
    migrate(db, "test", [
      ...MIGRATIONS,
      {
        version: SCHEMA_VERSION + 1,
        description: "future",
        statements: ["CREATE TABLE future (x TEXT) STRICT"],
      },
    ]);
    db.close();
    const before = snapshot(file);
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreVersionError");
    expect(error.code).toBe("STORE_VERSION");
    expect(error.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(error.message).toContain(file);
    expect(snapshot(file)).toEqual(before);
  });

  it("refuses a store whose tables are missing", async () => {
    const file = path.join(dir, "state.db");
    await new SQLiteStateStore(file).close();
    const db = new Database(file);
    db.exec("DROP TABLE attempts");
    db.close();
    const error = thrown(() => new SQLiteStateStore(file));
    expect(error.name).toBe("StoreCorruptError");
    expect(error.message).toContain('"attempts"');
  });

  it("opens an empty file, and a SQLite file with no tables yet, as new stores", async () => {
    const empty = path.join(dir, "empty.db");
    fs.writeFileSync(empty, "");
    expect(await open(empty).listWorkflows()).toEqual([]);
    // What a crash before the schema's transaction committed leaves: WAL on, no tables.
    const bare = path.join(dir, "bare.db");
    const db = new Database(bare);
    db.pragma("journal_mode = WAL");
    db.close();
    expect(await open(bare).listWorkflows()).toEqual([]);
  });
});

describe("SQLiteStateStore schema", () => {
  it("writes the format marker and schema version", async () => {
    const file = path.join(dir, "state.db");
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
    const file = path.join(dir, "state.db");
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
    expect(open(file).location).toBe(`sqlite:${file}`);
  });

  it("runs later migrations in order, in one transaction with the version bump", async () => {
    const file = path.join(dir, "state.db");
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
    const file = path.join(dir, "state.db");
    const first = open(file);
    const second = open(file);
    await first.commit({ runs: [], taskStates: [], attempts: [] });
    expect(await second.listWorkflows()).toEqual([]);
  });

  it("keeps a top-level Buffer as a BLOB, not as text", async () => {
    const file = path.join(dir, "state.db");
    const store = open(file);
    // The largest result kept inline; larger ones are chunked (sqlite-results.test.ts).
    const payload = Buffer.alloc(CHUNK_BYTES, 7);
    await store.commit({
      runs: [],
      taskStates: [
        {
          workflow: "wf",
          runKey: "default",
          task: "big",
          status: "COMPLETED",
          runId: "r",
          attempts: 1,
          startedAt: 1,
          finishedAt: 2,
          duration: 0.001,
          version: undefined,
          error: undefined,
          result: encodeValue(payload, "x"),
        },
      ],
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
