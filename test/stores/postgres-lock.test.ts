import { describe, expect, it } from "vitest";
import {
  AsyncExecutor,
  type LockOwner,
  type PostgresStateStore,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";
import { service } from "../support/services.js";
import { runRecord, stateWrite } from "./contract/harness.js";
import { rejection } from "./failures.js";
import {
  adminQuery,
  lockBackend,
  terminateBackend,
  usePostgresScratch,
} from "./postgres-helpers.js";

const postgres = await service("postgres");

/** An owner as another host would present it: its pid means nothing here. */
function owner(runId: string, host = "coordinator-a"): LockOwner {
  return { runId, pid: 4242, host };
}

describe.skipIf(!postgres.up)(`PostgresStateStore locks${postgres.note}`, () => {
  const { nextSchema, open } = usePostgresScratch("lock");
  /** A store with its own pool: to PostgreSQL, another coordinator. */
  const coordinator = (schema: string): PostgresStateStore => open(schema);

  it("refuses a second coordinator at once, naming the holder's run, pid, host and start", async () => {
    const schema = nextSchema();
    const a = coordinator(schema);
    const b = coordinator(schema);
    const held = await a.acquireLock("etl", owner("run-a"));
    const error = await rejection(b.acquireLock("etl", owner("run-b", "coordinator-b")));
    expect(error.name).toBe("StoreLockedError");
    expect(error.code).toBe("STORE_LOCKED");
    expect(error.holder).toBe("run run-a (pid 4242 on host coordinator-a)");
    expect(error.message).toContain('Workflow "etl"');
    expect(error.message).toContain(b.location);
    expect(error.message).toMatch(/since \d{4}-\d\d-\d\dT/);
    // Other workflows are free, and so is this one once released.
    const other = await b.acquireLock("other", owner("run-b2", "coordinator-b"));
    await held.release();
    const taken = await b.acquireLock("etl", owner("run-b3", "coordinator-b"));
    await rejection(a.acquireLock("etl", owner("run-a2")));
    await taken.release();
    await other.release();
  });

  it("keys locks by schema: the same workflow in two schemas does not contend", async () => {
    const first = await coordinator(nextSchema()).acquireLock("etl", owner("run-1"));
    const second = await coordinator(nextSchema()).acquireLock("etl", owner("run-2"));
    await first.release();
    await second.release();
  });

  it("frees the lock of a holder whose connection ends, and fences the holder's writes", async () => {
    const schema = nextSchema();
    const a = coordinator(schema);
    const b = coordinator(schema);
    const held = await a.acquireLock("etl", owner("run-a"));
    await a.commit({
      runs: [runRecord({ runId: "run-a", workflow: "etl" })],
      taskStates: [],
      attempts: [],
    });

    // As if A's host died or the server restarted its session.
    await terminateBackend(await lockBackend(schema, "etl"));

    const taken = await b.acquireLock("etl", owner("run-b", "coordinator-b"));
    // A must not write as if it still held the workflow: another coordinator may run it.
    const lost = await rejection(
      a.commit({
        runs: [],
        taskStates: [stateWrite({ workflow: "etl", runId: "run-a" })],
        attempts: [],
      }),
    );
    expect(lost.code).toBe("STORE_LOCK_LOST");
    expect(lost.message).toContain('workflow "etl"');
    expect(lost.message).toContain("run-a");
    expect((await b.loadTaskStates("etl", "default")).size).toBe(0);
    // A letting go afterwards changes nothing for B, whose row still names it.
    await held.release();
    const error = await rejection(coordinator(schema).acquireLock("etl", owner("run-c", "c")));
    expect(error.holder).toBe("run run-b (pid 4242 on host coordinator-b)");
    // A can lock other workflows again: it opens a new lock connection.
    const again = await a.acquireLock("other", owner("run-a2"));
    await again.release();
    await taken.release();
  });

  it("takes over a row left by a holder that died, since only the advisory lock counts", async () => {
    const schema = nextSchema();
    const store = coordinator(schema);
    await store.listWorkflows();
    await adminQuery(
      `INSERT INTO "${schema}".locks (workflow, run_id, pid, host, acquired_at, backend_pid)
       VALUES ('etl', 'run-dead', 1, 'gone-host', 0, 1)`,
    );
    const held = await store.acquireLock("etl", owner("run-new"));
    const error = await rejection(coordinator(schema).acquireLock("etl", owner("run-x", "x")));
    expect(error.holder).toContain("run-new");
    await held.release();
    expect(await adminQuery(`SELECT * FROM "${schema}".locks`)).toEqual([]);
  });

  it("releases every lock on close", async () => {
    const schema = nextSchema();
    const a = coordinator(schema);
    await a.acquireLock("etl", owner("run-a"));
    await a.acquireLock("report", owner("run-a"));
    await a.close();
    const b = coordinator(schema);
    const etl = await b.acquireLock("etl", owner("run-b", "b"));
    const report = await b.acquireLock("report", owner("run-b", "b"));
    await etl.release();
    await report.release();
    await expect(a.acquireLock("etl", owner("run-a3"))).rejects.toThrow(/is closed/);
  });

  it("refuses a second executor on the same workflow while the first runs", async () => {
    const schema = nextSchema();
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const wf = new Workflow("nightly");
    wf.addTask(
      task("wait", async () => {
        started();
        await gate;
        return "done";
      }),
    );
    const first = new AsyncExecutor({
      stateStore: coordinator(schema),
      logger: silentLogger,
    }).execute(wf);
    await running;
    const second = new Workflow("nightly");
    second.addTask(task("wait", () => "second"));
    const error = await rejection(
      new AsyncExecutor({ stateStore: coordinator(schema), logger: silentLogger }).execute(second),
    );
    expect(error.name).toBe("StoreLockedError");
    expect(error.message).toContain('Workflow "nightly"');
    finish();
    expect((await first).status).toBe("COMPLETED");
  });
});
