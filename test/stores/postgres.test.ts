import pg from "pg";
import { describe, expect, it } from "vitest";
import { encodeValue, PostgresStateStore, type TaskStateWrite } from "../../src/index.js";
import { SCHEMA_VERSION } from "../../src/stores/postgres/schema.js";
import { POSTGRES_URL, service } from "../support/services.js";
import { attemptRecord, runRecord, stateWrite } from "./contract/harness.js";
import { storeContract } from "./contract.js";
import { rejection } from "./failures.js";
import { adminQuery, emptySchema, usePostgresScratch } from "./postgres-helpers.js";
import { INDEX_URL, runScript } from "./scripts.js";

const postgres = await service("postgres");

describe.skipIf(!postgres.up)(`PostgresStateStore on ${POSTGRES_URL}${postgres.note}`, () => {
  const { nextSchema, open, track } = usePostgresScratch("store");

  // One schema for the contract, emptied after each case: creating a schema per case
  // would cost a tenth of a second of DDL each (the schema tests below create their own).
  const contractSchema = nextSchema();
  storeContract("PostgresStateStore", () => ({
    open: () => new PostgresStateStore(POSTGRES_URL, { schema: contractSchema }),
    persistent: true,
    cleanup: () => emptySchema(contractSchema),
  }));

  describe("schema", () => {
    it("creates its schema on first use, marked and versioned, and names it in its location", async () => {
      const schema = nextSchema();
      const store = open(schema);
      expect(store.location).toBe(`postgres://postgres@127.0.0.1:5432/test?schema=${schema}`);
      // Nothing happens until the first call.
      expect(await adminQuery("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema])).toEqual(
        [],
      );
      expect(await store.listWorkflows()).toEqual([]);
      const meta = await adminQuery<{ key: string; value: string }>(
        `SELECT key, value FROM "${schema}".meta ORDER BY key`,
      );
      expect(meta).toEqual([
        { key: "format", value: "flowweaver-state" },
        { key: "schema_version", value: String(SCHEMA_VERSION) },
      ]);
    });

    it("takes the schema from the URL's schema parameter", async () => {
      const schema = nextSchema();
      const store = track(new PostgresStateStore(`${POSTGRES_URL}?schema=${schema}`));
      expect(store.schema).toBe(schema);
      await store.commit({ runs: [runRecord()], taskStates: [], attempts: [] });
      expect(await adminQuery(`SELECT run_id FROM "${schema}".runs`)).toEqual([
        { run_id: "run-1" },
      ]);
    });

    it("is created once when several processes start on a new schema at the same moment", async () => {
      const schema = nextSchema();
      const many = Array.from({ length: 4 }, () => open(schema));
      await Promise.all(many.map((store) => store.listWorkflows()));
      const versions = await adminQuery(
        `SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`,
      );
      expect(versions).toEqual([{ value: String(SCHEMA_VERSION) }]);
    });

    it("refuses a schema holding something else, and leaves it untouched", async () => {
      const schema = nextSchema();
      await adminQuery(`CREATE SCHEMA "${schema}"`);
      await adminQuery(`CREATE TABLE "${schema}".customers (id int PRIMARY KEY, name text)`);
      await adminQuery(`INSERT INTO "${schema}".customers VALUES (1, 'Ada')`);
      const store = open(schema);
      const error = await rejection(store.listWorkflows());
      expect(error.name).toBe("StoreCorruptError");
      expect(error.code).toBe("STORE_CORRUPT");
      expect(error.message).toContain(`schema=${schema}`);
      expect(error.message).toContain('"customers"');
      // Refused the same way on every call, and nothing was created or changed.
      expect(
        (await rejection(store.commit({ runs: [runRecord()], taskStates: [], attempts: [] }))).name,
      ).toBe("StoreCorruptError");
      const tables = await adminQuery<{ name: string }>(
        "SELECT tablename AS name FROM pg_tables WHERE schemaname = $1",
        [schema],
      );
      expect(tables).toEqual([{ name: "customers" }]);
      expect(await adminQuery(`SELECT * FROM "${schema}".customers`)).toEqual([
        { id: 1, name: "Ada" },
      ]);
    });

    it("refuses a meta table without FlowWeaver's marker", async () => {
      const schema = nextSchema();
      await adminQuery(`CREATE SCHEMA "${schema}"`);
      await adminQuery(`CREATE TABLE "${schema}".meta (key text PRIMARY KEY, value text NOT NULL)`);
      await adminQuery(`INSERT INTO "${schema}".meta VALUES ('format', 'someone-else')`);
      const error = await rejection(open(schema).listRuns());
      expect(error.name).toBe("StoreCorruptError");
      expect(error.message).toContain('"someone-else"');
      expect(await adminQuery(`SELECT value FROM "${schema}".meta`)).toEqual([
        { value: "someone-else" },
      ]);
    });

    it("refuses a store from a newer schema version, and leaves it as it is", async () => {
      const schema = nextSchema();
      const first = open(schema);
      await first.commit({ runs: [runRecord()], taskStates: [stateWrite()], attempts: [] });
      await first.close();
      const newer = SCHEMA_VERSION + 1;
      await adminQuery(`UPDATE "${schema}".meta SET value = $1 WHERE key = 'schema_version'`, [
        String(newer),
      ]);
      const error = await rejection(open(schema).loadTaskStates("wf", "default"));
      expect(error.name).toBe("StoreVersionError");
      expect(error.code).toBe("STORE_VERSION");
      expect(error.message).toContain(`schema version ${newer}`);
      expect(
        await adminQuery(`SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`),
      ).toEqual([{ value: String(newer) }]);
      expect(await adminQuery(`SELECT count(*)::int AS n FROM "${schema}".task_states`)).toEqual([
        { n: 1 },
      ]);
    });
  });

  describe("commits", () => {
    it("writes 10,000 task states and attempts in one commit with a handful of statements", async () => {
      const store = open(nextSchema());
      await store.listWorkflows(); // schema created before counting
      const kinds = [{ n: 1 }, new Map([["k", new Date(0)]]), Buffer.from([1, 2, 3]), undefined];
      const states: TaskStateWrite[] = Array.from({ length: 10_000 }, (_, i) =>
        stateWrite({
          task: `t${i}`,
          runKey: i % 2 === 0 ? "even" : "odd",
          result: encodeValue(kinds[i % kinds.length], "test value"),
        }),
      );
      const attempts = states.map((s) => attemptRecord({ task: s.task }));
      const sent = countQueries();
      try {
        await store.commit({ runs: [runRecord()], taskStates: states, attempts });
      } finally {
        sent.stop();
      }
      // Not a round trip per row: BEGIN, runs, partitions, states, attempts, COMMIT.
      expect(sent.count).toBe(6);
      const even = await store.loadTaskStates("wf", "even");
      const odd = await store.loadTaskStates("wf", "odd");
      expect(even.size + odd.size).toBe(10_000);
      expect(even.get("t0")).toMatchObject({ status: "COMPLETED", hasResult: true });
      expect(await store.loadResult("wf", "even", "t0")).toEqual({ n: 1 });
      expect(await store.loadResult("wf", "odd", "t1")).toEqual(new Map([["k", new Date(0)]]));
      expect(await store.loadResult("wf", "even", "t2")).toEqual(Buffer.from([1, 2, 3]));
      expect(await store.loadResult("wf", "odd", "t3")).toBeUndefined();
      expect(await store.listAttempts("run-1")).toHaveLength(10_000);
    });

    it("gathers many loadResult calls into few queries", async () => {
      const store = open(nextSchema());
      const states = Array.from({ length: 1200 }, (_, i) =>
        stateWrite({ task: `t${i}`, result: encodeValue(i, "test value") }),
      );
      await store.commit({ runs: [], taskStates: states, attempts: [] });
      const sent = countQueries();
      let values: unknown[];
      try {
        values = await Promise.all(states.map((s) => store.loadResult("wf", "default", s.task)));
      } finally {
        sent.stop();
      }
      expect(values).toEqual(states.map((_, i) => i));
      expect(sent.count).toBe(3); // 500 tasks a query
    });

    it('forces synchronous_commit on with durability "full"', async () => {
      const store = open(nextSchema(), { durability: "full" });
      expect(store.durability).toBe("full");
      const sent = countQueries();
      try {
        await store.commit({ runs: [runRecord()], taskStates: [], attempts: [] });
      } finally {
        sent.stop();
      }
      expect(sent.texts.some((text) => /SET LOCAL synchronous_commit TO on/.test(text))).toBe(true);
      expect(await store.listRuns()).toHaveLength(1);
    });
  });

  describe("close", () => {
    it("refuses calls once closed", async () => {
      const store = open(nextSchema());
      await store.listWorkflows();
      await store.close();
      const error = await rejection(store.listWorkflows());
      expect(error.code).toBe("STORE_CLOSED");
      expect(error.message).toContain(store.location);
    });

    it("leaves nothing that keeps the process alive", () => {
      const schema = nextSchema();
      // The child exits by itself only if the pool and the lock connection are closed.
      const child = runScript(
        `const { PostgresStateStore } = await import(${JSON.stringify(INDEX_URL)});
         const store = new PostgresStateStore(${JSON.stringify(POSTGRES_URL)}, { schema: ${JSON.stringify(schema)} });
         const lock = await store.acquireLock("wf", { runId: "r", pid: process.pid, host: "h" });
         await store.commit({ runs: [], taskStates: [], attempts: [] });
         await store.listWorkflows();
         void lock;
         await store.close();
         console.log("closed");`,
      );
      expect(child.signal).toBeNull();
      expect(child.stderr).toBe("");
      expect(child.stdout.trim()).toBe("closed");
      expect(child.status).toBe(0);
    });
  });
});

/** Counts the queries every node-postgres client in this process sends, until stopped. */
function countQueries(): { readonly count: number; readonly texts: string[]; stop(): void } {
  const original = pg.Client.prototype.query;
  const texts: string[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const first = args[0] as string | { text?: string };
    texts.push(typeof first === "string" ? first : String(first?.text));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    get count() {
      return texts.length;
    },
    texts,
    stop() {
      pg.Client.prototype.query = original;
    },
  };
}
