/**
 * Large inputs and results travel through the PostgreSQL state store, not Redis: the
 * worker reads a large input with loadResult and writes a large result to the store's
 * payloads, which the coordinator takes (and the store forgets). Small values stay inline.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  BullMQExecutor,
  type EncodedValue,
  PostgresStateStore,
  type StateStore,
  silentLogger,
  startWorker,
  task,
  Workflow,
} from "../../src/index.js";
import { ensureSchema, MIGRATIONS, SCHEMA_VERSION } from "../../src/stores/postgres/schema.js";
import { adminQuery, dropSchemasAndDisconnect, schemaPrefix } from "../stores/postgres-helpers.js";
import { POSTGRES_URL, service } from "../support/services.js";
import { deleteKeys, REDIS_URL, uniquePrefix } from "./support.js";

const redis = await service("redis");
const postgres = await service("postgres");
const up = redis.up && postgres.up;
const prefix = uniquePrefix("store");
const schemas = schemaPrefix("bullmq");

const BIG = 20_000;
const wf = new Workflow("bullmq_large_values");
wf.addTask(task("big", () => "x".repeat(BIG)));
wf.addTask(task("bytes", () => Buffer.alloc(BIG, 7)));
wf.addTask(task("small", () => ({ when: new Date(0), tags: new Set(["a"]) })));
wf.addTask(
  task("measure", (inputs: { big: string; bytes: Buffer; small: { tags: Set<string> } }) => ({
    big: inputs.big.length,
    bytes: inputs.bytes.length,
    tags: [...inputs.small.tags],
  })),
  { dependsOn: ["big", "bytes", "small"] },
);

interface Calls {
  loadResult: string[];
  put: string[];
  take: number;
}

/** The store, with the calls that matter here counted. */
function counting(store: PostgresStateStore): { store: StateStore; calls: Calls } {
  const calls: Calls = { loadResult: [], put: [], take: 0 };
  const payloads = store.payloads;
  const replaced: Partial<StateStore> = {
    loadResult: (workflow, runKey, name) => {
      calls.loadResult.push(name);
      return store.loadResult(workflow, runKey, name);
    },
    payloads: {
      put: (workflow: string, key: string, value: EncodedValue) => {
        calls.put.push(key.split(".").pop() as string);
        return payloads.put(workflow, key, value);
      },
      take: (key: string) => {
        calls.take++;
        return payloads.take(key);
      },
    },
  };
  // A proxy rather than a subclass: the store's methods need their own `this`.
  const wrapped = new Proxy(store, {
    get(target, key) {
      if (Object.hasOwn(replaced, key)) return replaced[key as keyof StateStore];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, calls };
}

describe.skipIf(!up)(`BullMQExecutor with PostgresStateStore${redis.note}${postgres.note}`, () => {
  afterAll(async () => {
    await deleteKeys(prefix);
    await dropSchemasAndDisconnect(schemas);
  });

  it("moves large inputs and results through the store and small ones inline", async () => {
    const schema = `${schemas}_a`;
    const coordinatorStore = new PostgresStateStore(POSTGRES_URL, { schema });
    const workerStore = new PostgresStateStore(POSTGRES_URL, { schema });
    const coordinator = counting(coordinatorStore);
    const onWorker = counting(workerStore);
    const worker = await startWorker({
      workflow: wf,
      connection: REDIS_URL,
      prefix,
      stateStore: onWorker.store,
      logger: silentLogger,
    });
    const executor = new BullMQExecutor({
      connection: REDIS_URL,
      prefix,
      stateStore: coordinator.store,
      maxInlineBytes: 1000,
      logger: silentLogger,
    });
    try {
      const run = await executor.execute(wf);
      expect(run.status).toBe("COMPLETED");
      expect(wf.getTask("measure").result).toEqual({ big: BIG, bytes: BIG, tags: ["a"] });
      expect((wf.getTask("bytes").result as Buffer).equals(Buffer.alloc(BIG, 7))).toBe(true);
      expect(onWorker.calls.put.sort()).toEqual(["big", "bytes"]);
      expect(coordinator.calls.take).toBe(2);
      expect(onWorker.calls.loadResult.sort()).toEqual(["big", "bytes"]);
      expect(await adminQuery(`SELECT key FROM "${schema}".payloads`)).toEqual([]);
      // What the coordinator stored is the task's result, whichever way it travelled.
      expect(await coordinatorStore.loadResult(wf.name, "default", "big")).toBe("x".repeat(BIG));
    } finally {
      await executor.close();
      await worker.close({ grace: 0 });
      await coordinatorStore.close();
      await workerStore.close();
    }
  });

  it("sends everything inline when the worker has no store, and says so for a stored input", async () => {
    const schema = `${schemas}_b`;
    const stateStore = new PostgresStateStore(POSTGRES_URL, { schema });
    const worker = await startWorker({
      workflow: wf,
      connection: REDIS_URL,
      prefix,
      queueName: "storeless",
      logger: silentLogger,
    });
    const executor = new BullMQExecutor({
      connection: REDIS_URL,
      prefix,
      queueName: "storeless",
      stateStore,
      maxInlineBytes: 1000,
      logger: silentLogger,
    });
    try {
      const error = (await executor.execute(wf).catch((e: unknown) => e)) as {
        result: { tasks: Record<string, { status: string; error?: Error }> };
      };
      const { tasks } = error.result;
      // Large results came back inline (the worker could not store them)...
      expect(tasks.big?.status).toBe("COMPLETED");
      expect(wf.getTask("big").result).toBe("x".repeat(BIG));
      // ...but a large input was left in the coordinator's store, which this worker lacks.
      expect(tasks.measure?.status).toBe("FAILED");
      expect(tasks.measure?.error).toMatchObject({ code: "RESULT_UNAVAILABLE" });
      expect(tasks.measure?.error?.message).toContain("has no state store. Start it with --state");
      expect(tasks.measure?.error?.message).toContain(stateStore.location);
    } finally {
      await executor.close();
      await worker.close({ grace: 0 });
      await stateStore.close();
    }
  });

  it("keeps payloads until taken, and clearAllStates(workflow) drops those left behind", async () => {
    const store = new PostgresStateStore(POSTGRES_URL, { schema: `${schemas}_c` });
    try {
      const text: EncodedValue = { kind: "superjson", text: '{"json":1}' };
      const bytes: EncodedValue = { kind: "buffer", bytes: Buffer.from([1, 2, 3]) };
      await store.payloads.put("wf", "run.1.a", text);
      await store.payloads.put("wf", "run.1.a", text); // a job run twice writes it twice
      await store.payloads.put("wf", "run.1.b", bytes);
      await store.payloads.put("other", "run.2.c", text);
      expect(await store.payloads.take("run.1.a")).toEqual(text);
      expect(await store.payloads.take("run.1.a")).toBeUndefined();
      const taken = await store.payloads.take("run.1.b");
      expect(
        taken?.kind === "buffer" && Buffer.from(taken.bytes).equals(Buffer.from([1, 2, 3])),
      ).toBe(true);
      await store.payloads.put("wf", "run.1.d", text);
      await store.clearAllStates("wf");
      expect(await store.payloads.take("run.1.d")).toBeUndefined();
      expect(await store.payloads.take("run.2.c")).toEqual(text);
    } finally {
      await store.close();
    }
  });

  it("migrates a version 1 store to the version with payloads, keeping its states", async () => {
    const schema = `${schemas}_d`;
    const old = new PostgresStateStore(POSTGRES_URL, { schema });
    // A store written by the FlowWeaver before payloads: version 1 only.
    const { default: pg } = await import("pg");
    const pool = new pg.Pool({ connectionString: POSTGRES_URL });
    try {
      await ensureSchema(pool, schema, old.location, MIGRATIONS.slice(0, 1));
    } finally {
      await pool.end();
    }
    await old.close();
    expect(
      await adminQuery(`SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`),
    ).toEqual([{ value: "1" }]);
    const store = new PostgresStateStore(POSTGRES_URL, { schema });
    try {
      await store.payloads.put("wf", "k", { kind: "json", text: "1" });
      expect(await store.payloads.take("k")).toEqual({ kind: "json", text: "1" });
      expect(
        await adminQuery(`SELECT value FROM "${schema}".meta WHERE key = 'schema_version'`),
      ).toEqual([{ value: String(SCHEMA_VERSION) }]);
    } finally {
      await store.close();
    }
  });
});
