import { hostname } from "node:os";
import { StoreLockedError } from "../../core/errors.js";
import type { LockOwner, StoreLock } from "../store.js";
import type { Database, Statement } from "./driver.js";

/** How often a holder refreshes its lock's heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/**
 * When a lock held from another host counts as abandoned: its pid means nothing here, so
 * only a heartbeat this old (six missed beats) says the holder is gone.
 */
export const STALE_AFTER_MS = 60_000;

interface LockRow {
  readonly run_id: string;
  readonly pid: number;
  readonly host: string;
  readonly acquired_at: number;
  readonly heartbeat_at: number;
}

/**
 * Per-workflow locks in the `locks` table, so that processes sharing one file never run a
 * workflow twice at once. Taking a lock reads and writes its row in one IMMEDIATE
 * transaction, so two processes cannot both see it free.
 */
export class SQLiteLocks {
  readonly #db: Database;
  readonly #location: string;
  readonly #select: Statement;
  readonly #upsert: Statement;
  readonly #delete: Statement;
  readonly #beat: Statement;
  readonly #take: (workflow: string, owner: LockOwner) => void;
  /** Locks this store holds: workflow → run id. */
  readonly #held = new Map<string, string>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(db: Database, location: string) {
    this.#db = db;
    this.#location = location;
    this.#select = db.prepare(
      "SELECT run_id, pid, host, acquired_at, heartbeat_at FROM locks WHERE workflow = ?",
    );
    this.#upsert = db.prepare(
      `INSERT INTO locks (workflow, run_id, pid, host, acquired_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (workflow) DO UPDATE SET run_id = excluded.run_id, pid = excluded.pid,
         host = excluded.host, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
    );
    this.#delete = db.prepare("DELETE FROM locks WHERE workflow = ? AND run_id = ?");
    this.#beat = db.prepare("UPDATE locks SET heartbeat_at = ? WHERE workflow = ? AND run_id = ?");
    const take = db.transaction((workflow: string, owner: LockOwner) => {
      const now = Date.now();
      const row = this.#select.get(workflow) as LockRow | undefined;
      if (row !== undefined && !abandoned(row, now)) throw this.#lockedError(workflow, row);
      this.#upsert.run(workflow, owner.runId, owner.pid, owner.host, now, now);
    });
    this.#take = (workflow, owner) => take.immediate(workflow, owner);
  }

  acquire(workflow: string, owner: LockOwner): StoreLock {
    this.#take(workflow, owner);
    this.#held.set(workflow, owner.runId);
    this.#startHeartbeat();
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.#release(workflow, owner.runId);
      },
    };
  }

  /** Gives up every lock this store holds (on close). */
  releaseAll(): void {
    for (const [workflow, runId] of [...this.#held]) this.#release(workflow, runId);
  }

  #release(workflow: string, runId: string): void {
    if (this.#held.get(workflow) !== runId) return;
    this.#held.delete(workflow);
    if (this.#held.size === 0) this.#stopHeartbeat();
    if (this.#db.open) this.#delete.run(workflow, runId);
  }

  #startHeartbeat(): void {
    if (this.#heartbeat) return;
    // unref: a heartbeat must never keep the process alive on its own.
    this.#heartbeat = setInterval(() => this.#beatAll(), HEARTBEAT_INTERVAL_MS).unref();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #beatAll(): void {
    const now = Date.now();
    for (const [workflow, runId] of this.#held) {
      try {
        // No row changed: someone took the lock over (we looked dead); stop claiming it.
        if (this.#beat.run(now, workflow, runId).changes === 0) this.#held.delete(workflow);
      } catch {
        // Busy for longer than the timeout: the next beat tries again, long before stale.
      }
    }
    if (this.#held.size === 0) this.#stopHeartbeat();
  }

  #lockedError(workflow: string, row: LockRow): StoreLockedError {
    const holder = `run ${row.run_id} (pid ${row.pid} on host ${row.host})`;
    const since = new Date(row.acquired_at).toISOString();
    const beat = new Date(row.heartbeat_at).toISOString();
    return new StoreLockedError(
      `Workflow "${workflow}" is already running on state store ${this.#location}: ${holder} has held its lock since ${since} (last heartbeat ${beat}). Wait for that run to finish, or stop it. A lock left by a process that died is taken over by the next run: at once on the same host, and after ${STALE_AFTER_MS / 1000} s without a heartbeat from another host.`,
      holder,
    );
  }
}

/** True when the holder is gone: a dead pid on this host, or a stale heartbeat elsewhere. */
function abandoned(row: LockRow, now: number): boolean {
  if (row.host === hostname()) return !processAlive(row.pid);
  return now - row.heartbeat_at > STALE_AFTER_MS;
}

function processAlive(pid: number): boolean {
  // 0 and negative pids address process groups, not a process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
