import os from "node:os";
import type Database from "better-sqlite3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type LockOwner, SQLiteStateStore } from "../../src/index.js";
import { HEARTBEAT_INTERVAL_MS, STALE_AFTER_MS } from "../../src/stores/sqlite/lock.js";
import { rejection } from "./failures.js";
import { INDEX_URL, runScript } from "./scripts.js";
import { useSQLiteScratch, withDatabase } from "./sqlite-helpers.js";

const scratch = useSQLiteScratch();
// Registered after the scratch's hooks, so it runs before them: real timers again before
// the stores are closed.
afterEach(() => {
  vi.useRealTimers();
});

const me = (runId: string): LockOwner => ({ runId, pid: process.pid, host: os.hostname() });

interface LockRow {
  workflow: string;
  run_id: string;
  pid: number;
  host: string;
  acquired_at: number;
  heartbeat_at: number;
}

/** Reads or writes the locks table from outside the store, as another process would. */
function withRaw<T>(use: (db: Database.Database) => T): T {
  return withDatabase(scratch.file, use);
}

function lockRow(workflow: string): LockRow | undefined {
  return withRaw(
    (db) =>
      db.prepare("SELECT * FROM locks WHERE workflow = ?").get(workflow) as LockRow | undefined,
  );
}

function plantLock(row: LockRow): void {
  withRaw((db) =>
    db
      .prepare(
        "INSERT INTO locks (workflow, run_id, pid, host, acquired_at, heartbeat_at) VALUES (@workflow, @run_id, @pid, @host, @acquired_at, @heartbeat_at)",
      )
      .run(row),
  );
}

describe("SQLiteStateStore lock", () => {
  it("refuses a second store on the same file, naming workflow, holder and since when", async () => {
    const first = scratch.open();
    const second = scratch.open();
    const held = await first.acquireLock("etl", me("run-first"));
    const error = await rejection(second.acquireLock("etl", me("run-second")));
    expect(error.name).toBe("StoreLockedError");
    const row = lockRow("etl") as LockRow;
    for (const part of [
      '"etl"',
      "run-first",
      `pid ${process.pid}`,
      os.hostname(),
      new Date(row.acquired_at).toISOString(),
      scratch.file,
      "Wait for that run to finish",
    ]) {
      expect(error.message).toContain(part);
    }
    expect(error.holder).toBe(`run run-first (pid ${process.pid} on host ${os.hostname()})`);
    await held.release();
    expect(lockRow("etl")).toBeUndefined();
    const taken = await second.acquireLock("etl", me("run-second"));
    await taken.release();
  });

  it("takes over a lock left by a process that died without releasing it", async () => {
    // The child takes the lock and ends without releasing or closing. That it ends at all
    // also shows the lock's heartbeat timer does not keep a process alive.
    const child = runScript(
      `import { hostname } from "node:os";
       const { SQLiteStateStore } = await import(${JSON.stringify(INDEX_URL)});
       const store = new SQLiteStateStore(${JSON.stringify(scratch.file)});
       await store.acquireLock("etl", { runId: "child-run", pid: process.pid, host: hostname() });
       console.log(process.pid);`,
    );
    expect(child.error).toBeUndefined();
    expect(child.stderr).toBe("");
    const childPid = Number(child.stdout.trim());
    expect(lockRow("etl")).toMatchObject({ run_id: "child-run", pid: childPid });
    const store = scratch.open();
    const lock = await store.acquireLock("etl", me("run-after-crash"));
    expect(lockRow("etl")).toMatchObject({ run_id: "run-after-crash", pid: process.pid });
    await lock.release();
  });

  it("treats a lock held from another host by its heartbeat: fresh refuses, stale is taken over", async () => {
    const store = scratch.open();
    const now = Date.now();
    plantLock({
      workflow: "fresh",
      run_id: "remote-run",
      pid: 1,
      host: "another-host.example",
      acquired_at: now - 3_600_000,
      heartbeat_at: now - HEARTBEAT_INTERVAL_MS,
    });
    plantLock({
      workflow: "stale",
      run_id: "remote-run",
      pid: 1,
      host: "another-host.example",
      acquired_at: now - 3_600_000,
      heartbeat_at: now - STALE_AFTER_MS - 1000,
    });
    const error = await rejection(store.acquireLock("fresh", me("mine")));
    expect(error.message).toContain("another-host.example");
    expect(error.message).toContain("remote-run");
    const lock = await store.acquireLock("stale", me("mine"));
    expect(lockRow("stale")?.run_id).toBe("mine");
    await lock.release();
  });

  it("treats a same-host holder whose pid is alive as holding, however old its heartbeat", async () => {
    const store = scratch.open();
    plantLock({
      workflow: "etl",
      run_id: "busy-run",
      pid: process.pid,
      host: os.hostname(),
      acquired_at: 0,
      heartbeat_at: 0,
    });
    const error = await rejection(store.acquireLock("etl", me("mine")));
    expect(error.message).toContain("busy-run");
  });

  it("refreshes the heartbeat of the locks it holds, and stops once they are released", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const store = scratch.open();
    const lock = await store.acquireLock("etl", me("beating"));
    const acquired = (lockRow("etl") as LockRow).heartbeat_at;
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS);
    expect((lockRow("etl") as LockRow).heartbeat_at).toBe(acquired + HEARTBEAT_INTERVAL_MS);
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS * 3);
    expect((lockRow("etl") as LockRow).heartbeat_at).toBe(acquired + 4 * HEARTBEAT_INTERVAL_MS);
    await lock.release();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops claiming a lock that another process took over", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    const store = scratch.open();
    const lock = await store.acquireLock("etl", me("mine"));
    withRaw((db) => db.prepare("UPDATE locks SET run_id = 'usurper' WHERE workflow = 'etl'").run());
    vi.advanceTimersByTime(HEARTBEAT_INTERVAL_MS);
    expect(vi.getTimerCount()).toBe(0);
    // Releasing must not delete the lock that is now someone else's.
    await lock.release();
    expect(lockRow("etl")?.run_id).toBe("usurper");
  });
});

describe("SQLiteStateStore close", () => {
  it("releases its locks, can be called twice, and makes later writes and queries a clear error", async () => {
    const store = scratch.open();
    const lock = await store.acquireLock("etl", me("run-1"));
    await store.close();
    await store.close();
    expect(lockRow("etl")).toBeUndefined();
    await lock.release();
    for (const call of [
      () => store.loadTaskStates("etl", "default"),
      () => store.commit({ runs: [], taskStates: [], attempts: [] }),
      () => store.listRuns(),
      () => store.acquireLock("etl", me("run-2")),
    ]) {
      await expect(call()).rejects.toMatchObject({
        code: "STORE_CLOSED",
        message: expect.stringContaining(`${store.location} is closed`),
      });
    }
    // Reading a result still answers after close (task.result must): nothing stored here.
    expect(store.readResultSync("etl", "default", "a")).toBeUndefined();
  });

  it("supports await using", async () => {
    let location = "";
    {
      await using store = new SQLiteStateStore(scratch.file);
      location = store.location;
      await store.acquireLock("etl", me("run-1"));
    }
    expect(location).toBe(`sqlite:${scratch.file}`);
    expect(lockRow("etl")).toBeUndefined();
  });
});
