import { toError } from "../../core/errors.js";
import type { EncodedValue } from "../../core/serialization.js";
import { checkRunQuery, requireText } from "../shared/arguments.js";
import { closedStoreError } from "../shared/closed.js";
import type {
  AttemptRecord,
  Durability,
  LockOwner,
  PayloadStash,
  RunQuery,
  RunRecord,
  StateStore,
  StoreBatch,
  StoredTaskState,
  StoreLock,
} from "../store.js";
import { CommitWriter } from "./commit.js";
import { createPool, isConnectionLost, translate, withRetry } from "./connection.js";
import { type Pool, type PoolClient, pgDriver } from "./driver.js";
import { PostgresLocks } from "./lock.js";
import {
  type PostgresPoolConfig,
  type PostgresStateStoreOptions,
  quoteIdentifier,
  type ResolvedConnection,
  resolveConnection,
} from "./options.js";
import { PayloadQueries } from "./payloads.js";
import { Queries } from "./queries.js";
import { ResultLoader } from "./results.js";
import { ensureSchema } from "./schema.js";

export type { PostgresPoolConfig, PostgresStateStoreOptions } from "./options.js";

/** What the store has once connected: its pool, its lock connection's manager. */
interface Session {
  readonly pool: Pool;
  readonly locks: PostgresLocks;
}

/**
 * Keeps task states, results and run history in PostgreSQL (through node-postgres, `pg`,
 * an optional peer dependency loaded on first use), so coordinators and tools on many
 * hosts share one durable state. Everything lives in one schema (`flowweaver` unless
 * told otherwise), created on first use; a schema holding something else, or written by
 * a newer FlowWeaver, is refused and left untouched. Each workflow is locked while it
 * runs through a PostgreSQL advisory lock, which PostgreSQL frees when its holder's
 * connection ends, so a crashed coordinator never blocks the next.
 *
 * Nothing connects until the first call: the constructor only checks its arguments.
 * PostgreSQL cannot answer synchronously, so the scheduler keeps results in memory for
 * the run instead of reading released ones back (there is no `readResultSync`).
 *
 * @example
 * const stateStore = new PostgresStateStore("postgres://app@db.internal:5432/app");
 * await new AsyncExecutor({ stateStore }).execute(wf); // a second run resumes
 * await stateStore.close();
 */
export class PostgresStateStore implements StateStore, AsyncDisposable {
  /** `postgres://user@host:port/database?schema=name` (never the password). */
  readonly location: string;
  readonly persistent = true;
  /** The schema that holds the store's tables. */
  readonly schema: string;
  readonly durability: Durability;
  /** `host:port/database`, as messages name it. */
  readonly address: string;
  /** Large results on their way from BullMQ workers to their coordinator. */
  readonly payloads: PayloadStash;
  readonly #connection: ResolvedConnection;
  readonly #writer: CommitWriter;
  readonly #queries: Queries;
  readonly #results: ResultLoader;
  readonly #begin: string;
  #session: Promise<Session> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Checks the arguments (ConfigurationError naming what is wrong) without connecting.
   * `urlOrPoolConfig` is a `postgres://user:password@host:port/database` URL or a pool
   * configuration object.
   */
  constructor(
    urlOrPoolConfig: string | PostgresPoolConfig,
    options: PostgresStateStoreOptions = {},
  ) {
    const connection = resolveConnection(urlOrPoolConfig, options);
    this.#connection = connection;
    this.location = connection.location;
    this.schema = connection.schema;
    this.durability = connection.durability;
    this.address = connection.address;
    const s = quoteIdentifier(connection.schema);
    this.#writer = new CommitWriter(s);
    this.#queries = new Queries(s, "fw_");
    this.#results = new ResultLoader((workflow, runKey, tasks) =>
      this.#read("loadResult", (pool) => this.#queries.loadResults(pool, workflow, runKey, tasks)),
    );
    this.#begin =
      connection.durability === "full" ? "BEGIN; SET LOCAL synchronous_commit TO on" : "BEGIN";
    const payloads = new PayloadQueries(s);
    this.payloads = {
      put: async (workflow: string, key: string, value: EncodedValue) => {
        requireText("payloads.put", "workflow", workflow);
        requireText("payloads.put", "key", key);
        const { pool } = await this.#open("payloads.put");
        await this.#retrying(() => payloads.put(pool, workflow, key, value));
      },
      take: async (key: string) => {
        requireText("payloads.take", "key", key);
        const { pool } = await this.#open("payloads.take");
        const value = await this.#retrying(() => payloads.read(pool, key));
        if (value !== undefined) await this.#retrying(() => payloads.forget(pool, key));
        return value;
      },
    };
  }

  async acquireLock(workflow: string, owner: LockOwner): Promise<StoreLock> {
    requireText("acquireLock", "workflow", workflow);
    const { locks } = await this.#open("acquireLock");
    return locks.acquire(workflow, owner);
  }

  async loadTaskStates(workflow: string, runKey: string): Promise<Map<string, StoredTaskState>> {
    requireText("loadTaskStates", "workflow", workflow);
    requireText("loadTaskStates", "runKey", runKey);
    return this.#read("loadTaskStates", (pool) =>
      this.#queries.loadTaskStates(pool, workflow, runKey),
    );
  }

  async loadResult(workflow: string, runKey: string, task: string): Promise<unknown> {
    this.#ensureOpen("loadResult");
    return this.#results.load(workflow, runKey, task);
  }

  /**
   * Writes the batch in one transaction, a few multi-row statements whatever its size. A
   * transient failure (dropped connection, serialization failure, deadlock) is retried:
   * every write is an upsert, so a repeated commit lands the same.
   */
  async commit(batch: StoreBatch): Promise<void> {
    const { pool, locks } = await this.#open("commit");
    const fenced = locks.holding ? workflowsOf(batch) : [];
    await this.#retrying(() =>
      this.#transaction(pool, async (client) => {
        for (const workflow of fenced) await locks.assertHeld(client, workflow);
        await this.#writer.write(client, batch);
      }),
    );
  }

  async clearAllStates(workflow?: string): Promise<void> {
    if (workflow !== undefined) requireText("clearAllStates", "workflow", workflow);
    const { pool } = await this.#open("clearAllStates");
    await this.#retrying(() =>
      this.#transaction(pool, (client) => this.#queries.clear(client, workflow)),
    );
  }

  async listRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const { workflow, runId, limit } = checkRunQuery(query);
    return this.#read("listRuns", (pool) => this.#queries.listRuns(pool, workflow, runId, limit));
  }

  async listAttempts(runId: string): Promise<AttemptRecord[]> {
    requireText("listAttempts", "runId", runId);
    return this.#read("listAttempts", (pool) => this.#queries.listAttempts(pool, runId));
  }

  async listTaskStates(workflow: string, runKey?: string): Promise<StoredTaskState[]> {
    requireText("listTaskStates", "workflow", workflow);
    if (runKey !== undefined) requireText("listTaskStates", "runKey", runKey);
    return this.#read("listTaskStates", (pool) =>
      this.#queries.listTaskStates(pool, workflow, runKey),
    );
  }

  async listWorkflows(): Promise<string[]> {
    return this.#read("listWorkflows", (pool) => this.#queries.listWorkflows(pool));
  }

  /**
   * Releases the locks this store holds and closes every connection; afterwards nothing
   * of the store keeps the process alive. Safe to call twice.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutDown(): Promise<void> {
    const opening = this.#session;
    if (!opening) return;
    let session: Session;
    try {
      session = await opening;
    } catch {
      return; // never connected: nothing to close
    }
    try {
      await session.locks.close();
    } finally {
      await session.pool.end();
    }
  }

  /** Connects on first use: loads pg, opens the pool, creates or checks the schema. */
  #open(operation: string): Promise<Session> {
    this.#ensureOpen(operation);
    this.#session ??= this.#connect().catch((error: unknown) => {
      // Let the next call try again: PostgreSQL may have been started meanwhile.
      this.#session = undefined;
      throw error;
    });
    return this.#session;
  }

  async #connect(): Promise<Session> {
    const pg = await pgDriver();
    const pool = createPool(pg, this.#connection);
    try {
      await ensureSchema(pool, this.schema, this.location);
    } catch (error) {
      await pool.end().catch(() => {});
      throw translate(error, this.#connection);
    }
    const s = quoteIdentifier(this.schema);
    return { pool, locks: new PostgresLocks(pg, this.#connection, s, this.location) };
  }

  async #read<T>(operation: string, read: (pool: Pool) => Promise<T>): Promise<T> {
    const { pool } = await this.#open(operation);
    return this.#retrying(() => read(pool));
  }

  async #retrying<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(work);
    } catch (error) {
      throw translate(error, this.#connection);
    }
  }

  /** Runs `work` in a transaction on one pooled connection; a broken one is discarded. */
  async #transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(this.#begin);
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (isConnectionLost(error)) broken = toError(error);
      else {
        await client.query("ROLLBACK").catch((rollback: unknown) => {
          broken = toError(rollback);
        });
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  #ensureOpen(operation: string): void {
    if (this.#closing !== undefined) {
      throw closedStoreError("PostgresStateStore", this.location, operation, "it");
    }
  }
}

/** The workflows a batch writes to. */
function workflowsOf(batch: StoreBatch): string[] {
  const names = new Set<string>();
  for (const r of batch.runs) names.add(r.workflow);
  for (const s of batch.taskStates) names.add(s.workflow);
  for (const a of batch.attempts) names.add(a.workflow);
  return [...names];
}
