import { describeThrown, FlowWeaverError, StoreLockedError } from "../../core/errors.js";
import type { LockOwner, StoreLock } from "../store.js";
import { int8AsNumber, isConnectionLost, translate } from "./connection.js";
import type { Client, PgModule, Queryable } from "./driver.js";
import { type AdvisoryKey, advisoryKey } from "./keys.js";
import type { ResolvedConnection } from "./options.js";

/** A lock this store holds. */
interface Held {
  readonly owner: LockOwner;
  readonly key: AdvisoryKey;
  readonly since: number;
  /** The backend (server process) of the connection holding the advisory lock. */
  readonly backendPid: number;
  /** Why the lock was lost (its connection closed), once it was. */
  lost: string | undefined;
}

interface HolderRow {
  readonly backend: number;
  readonly run_id: string | null;
  readonly pid: number | null;
  readonly host: string | null;
  readonly acquired_at: number | null;
}

/** Matches a bigint advisory key ($1, $2: its halves) among `pg_locks k`, in this database. */
const ADVISORY_MATCH = `k.locktype = 'advisory' AND k.classid = $1::oid AND k.objid = $2::oid
  AND k.objsubid = 1 AND k.granted
  AND k.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`;

/**
 * Per-workflow locks that hold across processes and hosts. The lock is a session-level
 * PostgreSQL advisory lock, keyed on a hash of the schema and the workflow name, held on
 * a connection of its own for as long as the run: `pg_try_advisory_lock` refuses a second
 * coordinator at once instead of queueing it, and PostgreSQL frees the lock the moment
 * the holder's session ends, so a holder that died (or whose host did) never blocks the
 * next run. A row in the `locks` table names the holder for the refusal message.
 */
export class PostgresLocks {
  readonly #pg: PgModule;
  readonly #connection: ResolvedConnection;
  readonly #location: string;
  readonly #schema: string;
  readonly #upsertRow: string;
  readonly #deleteRow: string;
  readonly #holder: string;
  readonly #held = new Map<string, Held>();
  #client: Client | undefined;
  #backendPid = 0;
  /** Lock operations run one at a time: they share the connection and its lifetime. */
  #queue: Promise<unknown> = Promise.resolve();

  /** `s` is the quoted schema name. */
  constructor(pg: PgModule, connection: ResolvedConnection, s: string, location: string) {
    this.#pg = pg;
    this.#connection = connection;
    this.#location = location;
    this.#schema = connection.schema;
    this.#upsertRow = `INSERT INTO ${s}.locks (workflow, run_id, pid, host, acquired_at, backend_pid)
      VALUES ($1, $2, $3, $4, $5, pg_backend_pid())
      ON CONFLICT (workflow) DO UPDATE SET run_id = excluded.run_id, pid = excluded.pid,
        host = excluded.host, acquired_at = excluded.acquired_at, backend_pid = excluded.backend_pid`;
    this.#deleteRow = `DELETE FROM ${s}.locks WHERE workflow = $1 AND run_id = $2 AND backend_pid = pg_backend_pid()`;
    // The row counts only if its backend is the one holding the lock: a row left by a
    // holder that died names nobody.
    this.#holder = `SELECT k.pid AS backend, l.run_id, l.pid, l.host, l.acquired_at
      FROM pg_catalog.pg_locks k LEFT JOIN ${s}.locks l ON l.workflow = $3 AND l.backend_pid = k.pid
      WHERE ${ADVISORY_MATCH} LIMIT 1`;
  }

  /** True while this store holds (or lost but was not yet told to release) any lock. */
  get holding(): boolean {
    return this.#held.size > 0;
  }

  acquire(workflow: string, owner: LockOwner): Promise<StoreLock> {
    return this.#serial(async () => {
      const mine = this.#held.get(workflow);
      if (mine) throw this.#lockedError(workflow, describeOwner(mine.owner), mine.since);
      const key = advisoryKey("workflow", this.#schema, workflow);
      const client = await this.#connect();
      try {
        const { rows } = await client.query<{ got: boolean }>(
          "SELECT pg_try_advisory_lock($1::bigint) AS got",
          [key.key],
        );
        if (!rows[0]?.got) throw await this.#refusal(client, workflow, key);
        const since = Date.now();
        try {
          await client.query(this.#upsertRow, [
            workflow,
            owner.runId,
            owner.pid,
            owner.host,
            since,
          ]);
        } catch (error) {
          await client.query("SELECT pg_advisory_unlock($1::bigint)", [key.key]);
          throw error;
        }
        const held: Held = { owner, key, since, backendPid: this.#backendPid, lost: undefined };
        this.#held.set(workflow, held);
        let released = false;
        return {
          release: async () => {
            if (released) return;
            released = true;
            await this.#serial(() => this.#release(workflow, held));
          },
        };
      } catch (error) {
        await this.#disconnectIfIdle();
        throw translate(error, this.#connection);
      }
    });
  }

  /**
   * Fails unless this store still holds `workflow`'s lock, checked inside the caller's
   * transaction (a fence: a coordinator whose lock connection dropped, and that another
   * coordinator may have replaced, must not write). Workflows this store never locked
   * pass: writing without a lock is allowed (tests, `clear`).
   */
  async assertHeld(db: Queryable, workflow: string): Promise<void> {
    const held = this.#held.get(workflow);
    if (!held) return;
    if (held.lost === undefined) {
      const { rows } = await db.query(
        `SELECT 1 FROM pg_catalog.pg_locks k WHERE k.pid = $3 AND ${ADVISORY_MATCH}`,
        [held.key.classid, held.key.objid, held.backendPid],
      );
      if (rows.length > 0) return;
      held.lost = "its PostgreSQL session no longer holds the lock";
    }
    throw new FlowWeaverError(
      `State store ${this.#location} lost the lock of workflow "${workflow}" held by run ${held.owner.runId}: ${held.lost}. Nothing more of this run is written, since another coordinator may run the workflow now; run it again to resume from what was stored.`,
      { code: "STORE_LOCK_LOST", runId: held.owner.runId },
    );
  }

  /** Releases every lock and closes the lock connection. */
  close(): Promise<void> {
    return this.#serial(async () => {
      for (const [workflow, held] of [...this.#held]) await this.#release(workflow, held);
      await this.#disconnect();
    });
  }

  async #release(workflow: string, held: Held): Promise<void> {
    // A stale handle must not free a lock that now belongs to another run.
    if (this.#held.get(workflow) !== held) return;
    this.#held.delete(workflow);
    const client = this.#client;
    try {
      if (client && held.lost === undefined) {
        await client.query(this.#deleteRow, [workflow, held.owner.runId]);
        await client.query("SELECT pg_advisory_unlock($1::bigint)", [held.key.key]);
      }
    } catch (error) {
      // A dropped connection took the lock with it: released all the same.
      if (!isConnectionLost(error)) {
        // Not sure the lock was freed: closing the session frees it for certain, but
        // would also drop the other locks it holds.
        if (this.#held.size === 0) await this.#disconnect();
        throw translate(error, this.#connection);
      }
    }
    await this.#disconnectIfIdle();
  }

  async #refusal(client: Client, workflow: string, key: AdvisoryKey): Promise<StoreLockedError> {
    const { rows } = await client.query<HolderRow>(this.#holder, [
      key.classid,
      key.objid,
      workflow,
    ]);
    const row = rows[0];
    if (row === undefined) {
      // Released between our attempt and this look: the next attempt will likely succeed.
      return this.#lockedError(workflow, "a run that released it just now", undefined);
    }
    if (row.run_id === null) {
      return this.#lockedError(
        workflow,
        `a session (PostgreSQL backend pid ${row.backend}) that has not recorded its run yet`,
        undefined,
      );
    }
    return this.#lockedError(
      workflow,
      describeOwner({ runId: row.run_id, pid: Number(row.pid), host: String(row.host) }),
      row.acquired_at ?? undefined,
    );
  }

  #lockedError(workflow: string, holder: string, since: number | undefined): StoreLockedError {
    const held =
      since === undefined
        ? "holds its lock"
        : `has held its lock since ${new Date(since).toISOString()}`;
    return new StoreLockedError(
      `Workflow "${workflow}" is already running on state store ${this.#location}: ${holder} ${held}. Wait for that run to finish, or stop it. PostgreSQL frees the lock as soon as the holder's connection ends, so a lock left by a process that died is taken over by the next run.`,
      holder,
    );
  }

  async #connect(): Promise<Client> {
    if (this.#client) return this.#client;
    const client = new this.#pg.Client({
      ...this.#connection.config,
      // Notice a dead peer (a host that vanished) instead of waiting on a silent socket.
      keepAlive: true,
      application_name: `${this.#connection.config.application_name ?? "flowweaver"} (lock)`,
      types: int8AsNumber(this.#pg),
    });
    const lost = (why: string) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      for (const held of this.#held.values()) held.lost ??= why;
    };
    // Without an error listener a dropped connection would crash the process.
    client.on("error", (error: Error) => lost(`its connection failed (${describeThrown(error)})`));
    client.on("end", () => lost("its connection closed"));
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      this.#backendPid = Number(rows[0]?.pid);
    } catch (error) {
      await client.end().catch(() => {});
      throw translate(error, this.#connection);
    }
    this.#client = client;
    return client;
  }

  async #disconnectIfIdle(): Promise<void> {
    if (this.#held.size === 0) await this.#disconnect();
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    await client.end().catch(() => {});
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function describeOwner(owner: LockOwner): string {
  return `run ${owner.runId} (pid ${owner.pid} on host ${owner.host})`;
}
