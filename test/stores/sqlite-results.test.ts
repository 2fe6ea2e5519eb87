import fs from "node:fs";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { type AttemptRecord, encodeValue, type TaskStateWrite } from "../../src/index.js";
import { CHECKPOINT_PAGES } from "../../src/stores/sqlite/connection.js";
import { CHUNK_BYTES, withSmallCache } from "../../src/stores/sqlite/results.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "../../src/stores/sqlite/schema.js";
import { BatchWriter, LARGE_COMMIT_BYTES } from "../../src/stores/sqlite/writer.js";
import { stateWrite } from "./contract/harness.js";
import { useSQLiteScratch, withDatabase } from "./sqlite-helpers.js";

const scratch = useSQLiteScratch();
const READ_ONLY = { readonly: true };

function completed(task: string, value: unknown, workflow = "wf"): TaskStateWrite {
  return stateWrite({ workflow, task, result: encodeValue(value, `result of ${task}`) });
}

/** What the file holds for a task: its result columns and how many chunks it has. */
function stored(task: string): { result: unknown; size: unknown; chunks: number } {
  return withDatabase(
    scratch.file,
    (db) => {
      const [result, size] = db
        .prepare("SELECT typeof(result), result_size FROM task_states WHERE task = ?")
        .raw()
        .get(task) as [unknown, unknown];
      const chunks = db
        .prepare("SELECT count(*) FROM result_chunks WHERE task = ?")
        .pluck()
        .get(task) as number;
      return { result, size, chunks };
    },
    READ_ONLY,
  );
}

function allChunks(): number {
  return withDatabase(
    scratch.file,
    (db) => db.prepare("SELECT count(*) FROM result_chunks").pluck().get() as number,
    READ_ONLY,
  );
}

/** A buffer whose every chunk differs, so a chunk out of place cannot go unnoticed. */
function pattern(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) bytes.writeUInt32LE(i, i);
  return bytes;
}

describe("SQLiteStateStore large results", () => {
  it("stores a result larger than a chunk in chunks and reads it back whole", async () => {
    const store = scratch.open();
    const big = pattern(3 * CHUNK_BYTES + 12);
    await store.commit({ runs: [], taskStates: [completed("big", big)], attempts: [] });
    expect(stored("big")).toEqual({ result: "null", size: big.length, chunks: 4 });
    for (const reader of [store, scratch.open()]) {
      const loaded = await reader.loadResult("wf", "default", "big");
      expect(Buffer.isBuffer(loaded) && loaded.equals(big)).toBe(true);
      const sync = reader.readResultSync("wf", "default", "big");
      expect(Buffer.isBuffer(sync) && sync.equals(big)).toBe(true);
    }
    // A result of exactly one chunk stays inline.
    await store.commit({
      runs: [],
      taskStates: [completed("edge", Buffer.alloc(CHUNK_BYTES, 1))],
      attempts: [],
    });
    expect(stored("edge")).toEqual({ result: "blob", size: null, chunks: 0 });
  });

  it("chunks large JSON and superjson texts as UTF-8, characters split across chunks included", async () => {
    const store = scratch.open();
    // Three-byte characters: chunk boundaries fall inside them.
    const text = "é世界".repeat(CHUNK_BYTES / 2);
    const rich = { at: new Date(0), tags: new Set(["a"]), body: text };
    await store.commit({
      runs: [],
      taskStates: [completed("json", text), completed("superjson", rich)],
      attempts: [],
    });
    expect(stored("json").chunks).toBeGreaterThan(1);
    expect(stored("superjson").chunks).toBeGreaterThan(1);
    const reopened = scratch.open();
    expect(await reopened.loadResult("wf", "default", "json")).toBe(text);
    expect(await reopened.loadResult("wf", "default", "superjson")).toStrictEqual(rich);
  });

  it("replaces a chunked result's chunks with its new result, whatever its size, or none", async () => {
    const store = scratch.open();
    const commit = (write: TaskStateWrite) =>
      store.commit({ runs: [], taskStates: [write], attempts: [] });
    await commit(completed("t", pattern(4 * CHUNK_BYTES)));
    expect(stored("t").chunks).toBe(4);
    const smaller = pattern(2 * CHUNK_BYTES + 1).reverse();
    await commit(completed("t", smaller));
    expect(stored("t").chunks).toBe(3);
    const back = await store.loadResult("wf", "default", "t");
    expect(Buffer.isBuffer(back) && back.equals(smaller)).toBe(true);
    await commit(completed("t", "small"));
    expect(stored("t")).toEqual({ result: "text", size: null, chunks: 0 });
    await commit(completed("t", pattern(2 * CHUNK_BYTES)));
    await commit(stateWrite({ task: "t", status: "RUNNING", finishedAt: undefined }));
    expect(stored("t")).toEqual({ result: "null", size: null, chunks: 0 });
    expect(await store.loadResult("wf", "default", "t")).toBeUndefined();
  });

  it("lets the last write of a task win within one batch, chunked or not", async () => {
    const store = scratch.open();
    const last = pattern(CHUNK_BYTES + 1);
    const writes = [
      completed("t", pattern(3 * CHUNK_BYTES)),
      completed("u", "kept"),
      completed("t", "inline in between"),
      completed("t", last),
    ];
    await store.commit({ runs: [], taskStates: writes, attempts: [] });
    expect(stored("t").chunks).toBe(2);
    const back = await store.loadResult("wf", "default", "t");
    expect(Buffer.isBuffer(back) && back.equals(last)).toBe(true);
    expect(await store.loadResult("wf", "default", "u")).toBe("kept");
  });

  it("clears the chunks of the workflows it clears", async () => {
    const store = scratch.open();
    await store.commit({
      runs: [],
      taskStates: [
        completed("a", pattern(2 * CHUNK_BYTES), "one"),
        completed("b", pattern(2 * CHUNK_BYTES), "two"),
      ],
      attempts: [],
    });
    expect(allChunks()).toBe(4);
    await store.clearAllStates("one");
    expect(allChunks()).toBe(2);
    expect(await store.loadResult("two", "default", "b")).toBeInstanceOf(Buffer);
    await store.clearAllStates();
    expect(allChunks()).toBe(0);
  });

  it("refuses a chunked result whose chunks do not add up, naming the task", async () => {
    const store = scratch.open();
    await store.commit({
      runs: [],
      taskStates: [completed("t", pattern(3 * CHUNK_BYTES))],
      attempts: [],
    });
    withDatabase(scratch.file, (db) => db.prepare("DELETE FROM result_chunks WHERE seq = 1").run());
    await expect(store.loadResult("wf", "default", "t")).rejects.toThrow(
      /corrupt.*task "t".*result_chunks/,
    );
  });

  it("puts the page cache size back after a chunked value, even when the work fails", () => {
    const db = new Database(":memory:");
    db.pragma("cache_size = -32000");
    expect(() =>
      withSmallCache(db, () => {
        expect(db.pragma("cache_size", { simple: true })).toBeGreaterThan(-32000);
        throw new Error("failed");
      }),
    ).toThrow("failed");
    expect(db.pragma("cache_size", { simple: true })).toBe(-32000);
    db.close();
  });
});

describe("SQLiteStateStore batches", () => {
  it("writes batches longer than one multi-row statement, later writes winning", async () => {
    const store = scratch.open();
    const states: TaskStateWrite[] = [];
    const attempts: AttemptRecord[] = [];
    for (let i = 0; i < 41; i++) {
      states.push(completed(`t${i}`, i));
      attempts.push({
        runId: "run-1",
        workflow: "wf",
        task: `t${i}`,
        attempt: 1,
        status: "RUNNING",
        startedAt: 1000 + i,
        finishedAt: undefined,
        error: undefined,
      });
    }
    // Rewrites of earlier rows, in the same 16-row statement and in later ones, and a
    // chunked result in the middle of a block.
    states.push(completed("t40", "last"), completed("t3", pattern(CHUNK_BYTES + 5)));
    states.push(completed("t0", "zero"), completed("t3", "three"));
    attempts.push({ ...(attempts[2] as AttemptRecord), status: "COMPLETED", finishedAt: 5000 });
    await store.commit({ runs: [], taskStates: states, attempts });
    const loaded = await store.loadTaskStates("wf", "default");
    expect(loaded.size).toBe(41);
    expect(await store.loadResult("wf", "default", "t0")).toBe("zero");
    expect(await store.loadResult("wf", "default", "t3")).toBe("three");
    expect(await store.loadResult("wf", "default", "t39")).toBe(39);
    expect(await store.loadResult("wf", "default", "t40")).toBe("last");
    expect(allChunks()).toBe(0);
    const history = await store.listAttempts("run-1");
    expect(history).toHaveLength(41);
    expect(history.find((a) => a.task === "t2")).toMatchObject({
      status: "COMPLETED",
      finishedAt: 5000,
    });
  });
});

describe("SQLiteStateStore large commits", () => {
  const fileSize = () => fs.statSync(scratch.file).size;

  it("checkpoints a large commit on its own once it is durable, and leaves small ones to SQLite", async () => {
    const store = scratch.open();
    const small = pattern(2 * CHUNK_BYTES);
    await store.commit({ runs: [], taskStates: [completed("small", small)], attempts: [] });
    const before = fileSize();
    const big = pattern(LARGE_COMMIT_BYTES);
    const committing = store.commit({
      runs: [],
      taskStates: [completed("big", big)],
      attempts: [],
    });
    // Committed, and readable by another connection, before its checkpoint ran.
    const early = withDatabase(
      scratch.file,
      (db) => db.prepare("SELECT result_size FROM task_states WHERE task = 'big'").pluck().get(),
      READ_ONLY,
    );
    expect(early).toBe(big.length);
    expect(fileSize()).toBe(before);
    await committing;
    // The checkpoint copied the WAL (the small commit too) into the database file.
    expect(fileSize()).toBeGreaterThan(before + big.length + small.length);
    const back = await store.loadResult("wf", "default", "big");
    expect(Buffer.isBuffer(back) && back.equals(big)).toBe(true);
  });

  it("keeps a large commit whose store is closed before its checkpoint", async () => {
    const store = scratch.open();
    const big = pattern(LARGE_COMMIT_BYTES + 1);
    const committing = store.commit({ runs: [], taskStates: [completed("t", big)], attempts: [] });
    await store.close();
    await committing;
    const back = await scratch.open().loadResult("wf", "default", "t");
    expect(Buffer.isBuffer(back) && back.equals(big)).toBe(true);
  });

  it("turns SQLite's autocheckpoint off for a large commit only, and back on, even when it fails", () => {
    const db = new Database(scratch.file);
    db.pragma("journal_mode = WAL");
    db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
    migrate(db, "test");
    const writer = new BatchWriter(db);
    const autocheckpoint = () => db.pragma("wal_autocheckpoint", { simple: true });
    const batch = (...taskStates: TaskStateWrite[]) => ({ runs: [], taskStates, attempts: [] });
    // Two results that are large together.
    const half = pattern(LARGE_COMMIT_BYTES / 2);
    expect(writer.commit(batch(completed("a", half), completed("b", half)))).toBe(true);
    expect(autocheckpoint()).toBe(CHECKPOINT_PAGES);
    expect(writer.commit(batch(completed("c", pattern(2 * CHUNK_BYTES))))).toBe(false);
    expect(autocheckpoint()).toBe(CHECKPOINT_PAGES);
    // A large commit that fails only at COMMIT, after every write: a deferred foreign key
    // that its chunks break.
    db.pragma("foreign_keys = ON");
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
      CREATE TRIGGER break_d AFTER INSERT ON result_chunks WHEN NEW.task = 'd'
      BEGIN INSERT INTO child VALUES (42); END;`);
    expect(() => writer.commit(batch(completed("d", pattern(LARGE_COMMIT_BYTES))))).toThrow(
      /FOREIGN KEY/,
    );
    expect(autocheckpoint()).toBe(CHECKPOINT_PAGES);
    expect(db.prepare("SELECT count(*) FROM task_states WHERE task = 'd'").pluck().get()).toBe(0);
    db.close();
  });
});

describe("SQLiteStateStore migration to schema version 2", () => {
  it("upgrades a version 1 file in place, keeping its states and results", async () => {
    expect(SCHEMA_VERSION).toBe(2);
    const v1 = new Database(scratch.file);
    v1.pragma("journal_mode = WAL");
    migrate(v1, "test", MIGRATIONS.slice(0, 1));
    v1.prepare("INSERT INTO partitions (id, workflow, run_key) VALUES (1, 'wf', 'default')").run();
    const insert = v1.prepare(
      `INSERT INTO task_states (partition, task, status, run_id, attempts, started_at, finished_at, duration, version, error, result_kind, result)
       VALUES (1, ?, 'COMPLETED', 'old-run', 1, 1, 2, 0.001, NULL, NULL, ?, ?)`,
    );
    // Version 1 kept every result inline, however large.
    const oldBig = pattern(2 * CHUNK_BYTES);
    insert.run("json", "json", JSON.stringify({ kept: true }));
    insert.run("bytes", "buffer", oldBig);
    expect(v1.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(
      "1",
    );
    v1.close();

    const store = scratch.open();
    expect(await store.loadResult("wf", "default", "json")).toEqual({ kept: true });
    const back = await store.loadResult("wf", "default", "bytes");
    expect(Buffer.isBuffer(back) && back.equals(oldBig)).toBe(true);
    // Replacing an old inline result with a large one chunks it.
    const newBig = pattern(2 * CHUNK_BYTES + 3);
    await store.commit({ runs: [], taskStates: [completed("bytes", newBig)], attempts: [] });
    expect(stored("bytes").chunks).toBe(3);
    const version = withDatabase(
      scratch.file,
      (db) => db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get(),
      READ_ONLY,
    );
    expect(version).toBe("2");
    await store.close();
    const reopened = scratch.open();
    const again = await reopened.loadResult("wf", "default", "bytes");
    expect(Buffer.isBuffer(again) && again.equals(newBig)).toBe(true);
  });
});
