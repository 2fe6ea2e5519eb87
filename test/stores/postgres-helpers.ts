/**
 * What the PostgreSQL store tests share: unique schema names, the stores a test opens,
 * and an administrator's connection to look behind the store's back (drop schemas, plant
 * foreign tables, terminate sessions).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, afterEach } from "vitest";
import { PostgresStateStore, type PostgresStateStoreOptions } from "../../src/index.js";
import { POSTGRES_URL } from "../support/services.js";

/** A schema prefix unique to this test file's process, so parallel files never meet. */
export function schemaPrefix(tag: string): string {
  return `fw_test_${tag}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

export interface PostgresScratch {
  /** A schema no store has used yet: `<prefix>_1`, `<prefix>_2`, … */
  nextSchema(): string;
  /** A store on {@link POSTGRES_URL} in `schema`, with a pool of its own; closed after the test. */
  open(schema: string, options?: PostgresStateStoreOptions): PostgresStateStore;
  /** Closes `store`, made some other way, after the test as well. */
  track(store: PostgresStateStore): PostgresStateStore;
}

/**
 * Schemas and stores for the tests of the `describe` this is called in: each test's
 * stores are closed after it, and every schema named `schemaPrefix(tag)…` is dropped (and
 * the admin connection closed) after them all.
 */
export function usePostgresScratch(tag: string): PostgresScratch {
  const prefix = schemaPrefix(tag);
  let schemas = 0;
  const stores: PostgresStateStore[] = [];
  afterAll(() => dropSchemasAndDisconnect(prefix));
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
  });
  return {
    nextSchema: () => `${prefix}_${++schemas}`,
    open(schema, options = {}) {
      const store = new PostgresStateStore(POSTGRES_URL, { schema, ...options });
      stores.push(store);
      return store;
    },
    track(store) {
      stores.push(store);
      return store;
    },
  };
}

let admin: pg.Client | undefined;

/** Runs one query as the administrator (one connection per test file, opened on first use). */
export async function adminQuery<R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  if (!admin) {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    admin = client;
  }
  return (await admin.query<R>(text, values)).rows;
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Deletes every row of a store's tables, if it has them yet: a fresh store for the next test. */
export async function emptySchema(schema: string): Promise<void> {
  const tables = await adminQuery<{ name: string }>(
    "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1 AND tablename <> 'meta'",
    [schema],
  );
  if (tables.length === 0) return;
  await adminQuery(tables.map(({ name }) => `DELETE FROM "${schema}"."${name}"`).join("; "));
}

/** Drops every schema whose name starts with `prefix`, then closes the admin connection. */
export async function dropSchemasAndDisconnect(prefix: string): Promise<void> {
  const rows = await adminQuery<{ name: string }>(
    "SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)",
    [prefix],
  );
  for (const { name } of rows) await dropSchema(name);
  await admin?.end();
  admin = undefined;
}

/** The backend pid of the session holding `workflow`'s lock in `schema`, from its row. */
export async function lockBackend(schema: string, workflow: string): Promise<number> {
  const rows = await adminQuery<{ backend_pid: number }>(
    `SELECT backend_pid FROM "${schema}".locks WHERE workflow = $1`,
    [workflow],
  );
  const pid = rows[0]?.backend_pid;
  if (pid === undefined) throw new Error(`no lock row for "${workflow}" in ${schema}`);
  return pid;
}

/**
 * Ends a PostgreSQL session as a server restart or a dead host would, and waits (up to
 * 5 s, PostgreSQL 14+) until the backend has really exited, and its locks with it.
 */
export async function terminateBackend(pid: number): Promise<void> {
  const rows = await adminQuery<{ done: boolean }>(
    "SELECT pg_terminate_backend($1, 5000) AS done",
    [pid],
  );
  if (!rows[0]?.done) throw new Error(`backend ${pid} did not end within 5 s`);
}
