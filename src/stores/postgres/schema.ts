import { describeThrown, errorCode } from "../../core/errors.js";
import {
  classifyTables,
  FORMAT,
  foreignMeta,
  latestVersion,
  markedSchema,
  pendingMigrations,
  type SchemaState,
} from "../shared/schema-marker.js";
import type { Pool, Queryable } from "./driver.js";
import { advisoryKey } from "./keys.js";
import { quoteIdentifier } from "./options.js";

/** One step of the schema: what it brings, and the statements that bring it. */
export interface Migration {
  /** The schema version the store has once this migration ran. */
  readonly version: number;
  readonly description: string;
  /** The statements, given the quoted schema name to qualify tables with. */
  readonly statements: (s: string) => readonly string[];
}

/**
 * Every schema change, oldest first; the same tables as the SQLite store. Append new
 * steps; never edit a released one. Key columns use the "C" collation: names compare and
 * sort by their bytes, as in the other stores, whatever the database's locale.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "task states, runs, attempts and locks",
    statements: (s) => [
      // Workflow and run key are interned once per partition, so state rows carry a
      // small integer instead of two strings.
      `CREATE TABLE ${s}.partitions (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workflow text COLLATE "C" NOT NULL,
        run_key text COLLATE "C" NOT NULL,
        UNIQUE (workflow, run_key)
      )`,
      // seq keeps the order states were first written, for listings. Results come last
      // and are stored out of line by PostgreSQL when large (TOAST): reading states never
      // touches them. Text results (json, superjson) and binary ones (a Buffer) each have
      // a column of their own type.
      `CREATE TABLE ${s}.task_states (
        partition integer NOT NULL,
        task text COLLATE "C" NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        status text NOT NULL,
        run_id text NOT NULL,
        attempts integer NOT NULL,
        started_at bigint,
        finished_at bigint,
        duration double precision,
        version text,
        error text,
        result_kind text,
        result_text text,
        result_bytes bytea,
        PRIMARY KEY (partition, task)
      )`,
      // seq breaks ties between start times and is what attempts refer to. A run known
      // only from its attempts has no status until its own record arrives, and is not listed.
      `CREATE TABLE ${s}.runs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        run_id text COLLATE "C" NOT NULL UNIQUE,
        workflow text COLLATE "C" NOT NULL,
        run_key text COLLATE "C" NOT NULL,
        status text,
        started_at bigint NOT NULL,
        finished_at bigint,
        error text
      )`,
      `CREATE INDEX runs_by_start ON ${s}.runs (started_at)`,
      `CREATE INDEX runs_by_workflow ON ${s}.runs (workflow, started_at)`,
      `CREATE TABLE ${s}.attempts (
        run bigint NOT NULL,
        task text COLLATE "C" NOT NULL,
        attempt integer NOT NULL,
        status text NOT NULL,
        started_at bigint NOT NULL,
        finished_at bigint,
        error text,
        PRIMARY KEY (run, task, attempt)
      )`,
      // Who holds each workflow's advisory lock, for the refusal message; the lock itself
      // is the advisory lock (see lock.ts), so a row left by a dead holder means nothing.
      `CREATE TABLE ${s}.locks (
        workflow text COLLATE "C" PRIMARY KEY,
        run_id text NOT NULL,
        pid bigint NOT NULL,
        host text NOT NULL,
        acquired_at bigint NOT NULL,
        backend_pid integer NOT NULL
      )`,
    ],
  },
  {
    version: 2,
    description: "payloads in transit between a BullMQ worker and its coordinator",
    statements: (s) => [
      // Large task results a worker process hands to the coordinator, taken (read and
      // deleted) once adopted; filed under their workflow so a clear drops any left behind.
      `CREATE TABLE ${s}.payloads (
        key text COLLATE "C" PRIMARY KEY,
        workflow text COLLATE "C" NOT NULL,
        kind text NOT NULL,
        text text,
        bytes bytea,
        created_at bigint NOT NULL
      )`,
      `CREATE INDEX payloads_by_workflow ON ${s}.payloads (workflow)`,
    ],
  },
];

/** The schema version this FlowWeaver writes. */
export const SCHEMA_VERSION = latestVersion(MIGRATIONS);

/** Tables a store at {@link SCHEMA_VERSION} has. */
const TABLES = ["meta", "partitions", "task_states", "runs", "attempts", "locks", "payloads"];

/**
 * Reads the schema without writing anything, and refuses what is not ours: tables but no
 * FlowWeaver marker (StoreCorruptError), or a newer schema version (StoreVersionError).
 */
export async function inspectSchema(
  db: Queryable,
  schema: string,
  location: string,
  latest: number = SCHEMA_VERSION,
): Promise<SchemaState> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_catalog.pg_class c
     JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
    [schema],
  );
  const names = rows.map((row) => row.name).sort();
  if (classifyTables(names, location, `schema "${schema}" holds something else`) === "empty") {
    return { kind: "empty" };
  }
  const meta = await readMeta(db, schema, location);
  return markedSchema(meta, names, location, latest, { version: SCHEMA_VERSION, tables: TABLES });
}

/**
 * Brings the schema to the latest version, creating it when missing. A current store is
 * only read. Otherwise everything (the schema, the marker, every migration and the
 * version bump) happens in one transaction that first takes a transaction-level advisory
 * lock and inspects again under it: two processes starting at once create the store once,
 * and a crash mid-way leaves nothing half-made (PostgreSQL's DDL is transactional).
 */
export async function ensureSchema(
  pool: Pool,
  schema: string,
  location: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  const latest = latestVersion(migrations);
  const state = await inspectSchema(pool, schema, location, latest);
  if (state.kind === "ours" && state.version === latest) return;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [
        advisoryKey("migrate", schema).key,
      ]);
      await migrateLocked(client, schema, location, migrations, latest);
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch((rollback: unknown) => {
        broken = rollback instanceof Error ? rollback : new Error(describeThrown(rollback));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

async function migrateLocked(
  db: Queryable,
  schema: string,
  location: string,
  migrations: readonly Migration[],
  latest: number,
): Promise<void> {
  const state = await inspectSchema(db, schema, location, latest);
  const from = state.kind === "empty" ? 0 : state.version;
  if (from === latest) return;
  const s = quoteIdentifier(schema);
  if (from === 0) {
    // Only when missing: CREATE SCHEMA checks the database's CREATE privilege first, which a
    // user given a ready-made schema may lack.
    const exists = await db.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", [
      schema,
    ]);
    if (exists.rowCount === 0) await db.query(`CREATE SCHEMA ${s}`);
    await db.query(`CREATE TABLE ${s}.meta (key text PRIMARY KEY, value text NOT NULL)`);
    await db.query(`INSERT INTO ${s}.meta (key, value) VALUES ('format', $1)`, [FORMAT]);
  }
  for (const migration of pendingMigrations(migrations, from)) {
    for (const statement of migration.statements(s)) await db.query(statement);
  }
  await db.query(
    `INSERT INTO ${s}.meta (key, value) VALUES ('schema_version', $1)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [String(latest)],
  );
}

async function readMeta(
  db: Queryable,
  schema: string,
  location: string,
): Promise<Map<string, string>> {
  try {
    const { rows } = await db.query<{ key: unknown; value: unknown }>(
      `SELECT key, value FROM ${quoteIdentifier(schema)}.meta`,
    );
    return new Map(rows.map((row) => [String(row.key), String(row.value)]));
  } catch (error) {
    // Class 42 (undefined column, wrong type, …) but for a missing privilege: a table
    // named meta that is not ours.
    const code = errorCode(error);
    if (!code?.startsWith("42") || code === "42501") throw error;
    throw foreignMeta(location, error);
  }
}
