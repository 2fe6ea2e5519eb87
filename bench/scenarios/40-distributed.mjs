/**
 * Distributed throughput: 2,000 independent no-op tasks through BullMQExecutor with 1 and
 * 2 `flowweaver worker` processes, beside raw BullMQ doing the same work with the same
 * number of worker processes and the same per-worker concurrency: a plain queue of 2,000
 * no-op jobs (the baseline of the target), and a FlowProducer flow whose parent waits for
 * 2,000 no-op children. Then the state stores: the same run through BullMQExecutor (2
 * workers) with the PostgreSQL store and with SQLite, and each store's own ceiling on
 * AsyncExecutor (no queue).
 *
 * Each contender's worker processes start (and are waited for) before anything is timed
 * and stop after its runs; a figure is the median of 3 runs after a warm-up run. The raw
 * BullMQ timing runs from the first add to the last completion (QueueEvents); the
 * FlowWeaver timing is `execute()`, with the executor's concurrency at 2,000 so that, as
 * with the raw queue, every job is queued at once.
 *
 * Needs Redis on 127.0.0.1:6379 and, for the PostgreSQL row, PostgreSQL on 127.0.0.1:5432
 * (database "test"): a service that is not running is reported as "not measured".
 *
 * This file is also the workflow module the FlowWeaver workers import; only when run
 * directly does it measure. `node 40-distributed.mjs raw-worker PREFIX CONCURRENCY` is a
 * raw BullMQ worker process.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadFlowWeaver, makeTempDir, removeDir } from "../lib/flowweaver.mjs";
import { format, measure, QUICK } from "../lib/measure.mjs";
import { judgeTarget, printTable, printTargets } from "../lib/report.mjs";

const HERE = fileURLToPath(import.meta.url);
const BIN = fileURLToPath(new URL("../../dist/cli/bin.js", import.meta.url));
const REDIS = { host: "127.0.0.1", port: 6379 };
const REDIS_URL = "redis://127.0.0.1:6379";
const POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
const TASKS = QUICK ? 200 : 2_000;
const RUNS = QUICK ? 1 : 3;
const WORKER_CONCURRENCY = 50;
const QUEUE = "bench";

const fw = await loadFlowWeaver();

/** 2,000 independent tasks that do nothing: what is left is the cost of moving a task. */
export const noopWorkflow = new fw.Workflow({
  name: "bench_distributed_noop",
  module: import.meta.url,
});
for (let i = 0; i < TASKS; i++) noopWorkflow.addTask(fw.task(`noop_${i}`, () => null));

const role = process.argv[2];
if (process.argv[1] === HERE && role === "raw-worker") {
  await rawWorker(process.argv[3], Number(process.argv[4]));
} else if (process.argv[1] === HERE) {
  await main();
}

/** A raw BullMQ worker process: no-op jobs, until its parent closes stdin. */
async function rawWorker(prefix, concurrency) {
  const { Worker } = await import("bullmq");
  const worker = new Worker(QUEUE, async () => null, {
    connection: { ...REDIS, maxRetriesPerRequest: null },
    prefix,
    concurrency,
  });
  await worker.waitUntilReady();
  process.stdout.write("ready\n");
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await worker.close();
    process.exit(0);
  });
}

/** Starts a process and resolves once its output has a line matching `ready`. */
function startProcess(args, ready) {
  const child = spawn(process.execPath, args, {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk) => {
      output += chunk;
      if (ready.test(output)) resolve(child);
    };
    child.stdout.setEncoding("utf8").on("data", onData);
    child.stderr.setEncoding("utf8").on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`${args.slice(0, 3).join(" ")} exited with ${code}:\n${output}`)),
    );
  });
}

/** Stops processes started by {@link startProcess}: stdin closed, then SIGTERM, and waits. */
async function stopProcesses(children) {
  await Promise.all(
    children.map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.removeAllListeners("exit");
          child.once("exit", resolve);
          child.stdin.end();
          child.kill("SIGTERM");
        }),
    ),
  );
}

function flowWeaverWorkers(prefix, count) {
  return Promise.all(
    Array.from({ length: count }, () =>
      startProcess(
        [
          BIN,
          "worker",
          HERE,
          "--redis",
          REDIS_URL,
          "--prefix",
          prefix,
          "--queue",
          QUEUE,
          "--concurrency",
          String(WORKER_CONCURRENCY),
        ],
        / serving /,
      ),
    ),
  );
}

function rawWorkers(prefix, count) {
  return Promise.all(
    Array.from({ length: count }, () =>
      startProcess([HERE, "raw-worker", prefix, String(WORKER_CONCURRENCY)], /^ready$/m),
    ),
  );
}

/** Whether something answers PING on the Redis port, or why not. */
async function redisProblem() {
  const { Redis } = await import("ioredis");
  const client = new Redis({ ...REDIS, lazyConnect: true, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    return `Redis is not running on 127.0.0.1:6379 (${error.message}); start it with: redis-server --daemonize yes --port 6379 --save "" --appendonly no`;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(prefix) {
  const { Redis } = await import("ioredis");
  const client = new Redis(REDIS);
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== "0");
  client.disconnect();
}

/** The raw plain queue: TASKS no-op jobs added in bulk, timed until the last completes. */
async function rawQueueRun(prefix) {
  const { Queue, QueueEvents } = await import("bullmq");
  const queue = new Queue(QUEUE, { connection: REDIS, prefix });
  const events = new QueueEvents(QUEUE, { connection: REDIS, prefix });
  await events.waitUntilReady();
  return {
    once: async () => {
      let completed = 0;
      let done;
      const all = new Promise((resolve) => {
        done = resolve;
      });
      const onCompleted = () => {
        if (++completed === TASKS) done();
      };
      events.on("completed", onCompleted);
      const started = performance.now();
      const jobs = Array.from({ length: TASKS }, (_, i) => ({
        name: `noop_${i}`,
        data: {},
        opts: { removeOnComplete: true, attempts: 1 },
      }));
      for (let at = 0; at < jobs.length; at += 1000) await queue.addBulk(jobs.slice(at, at + 1000));
      await all;
      const ms = performance.now() - started;
      events.off("completed", onCompleted);
      return { ms };
    },
    close: async () => {
      await events.close();
      await queue.close();
    },
  };
}

/** The raw FlowProducer: one parent over TASKS no-op children, timed until the parent completes. */
async function rawFlowRun(prefix) {
  const { FlowProducer, QueueEvents } = await import("bullmq");
  const flows = new FlowProducer({ connection: REDIS, prefix });
  const events = new QueueEvents(QUEUE, { connection: REDIS, prefix });
  await events.waitUntilReady();
  let round = 0;
  return {
    once: async () => {
      const parentName = `parent_${++round}`;
      let done;
      const finished = new Promise((resolve) => {
        done = resolve;
      });
      let parentId;
      const onCompleted = ({ jobId }) => {
        if (jobId === parentId) done();
      };
      events.on("completed", onCompleted);
      const started = performance.now();
      const tree = await flows.add({
        name: parentName,
        queueName: QUEUE,
        data: {},
        opts: { removeOnComplete: true },
        children: Array.from({ length: TASKS }, (_, i) => ({
          name: `noop_${i}`,
          queueName: QUEUE,
          data: {},
          opts: { removeOnComplete: true, attempts: 1 },
        })),
      });
      parentId = tree.job.id;
      if ((await tree.job.getState()) === "completed") done();
      await finished;
      const ms = performance.now() - started;
      events.off("completed", onCompleted);
      return { ms };
    },
    close: async () => {
      await events.close();
      await flows.close();
    },
  };
}

/** FlowWeaver: the no-op workflow through BullMQExecutor, with a fresh store per run. */
function flowWeaverRun(prefix, openStore) {
  return {
    once: async () => {
      const store = await openStore?.();
      const executor = new fw.BullMQExecutor({
        connection: REDIS_URL,
        prefix,
        queueName: QUEUE,
        concurrency: TASKS,
        logger: fw.silentLogger,
        ...(store ? { stateStore: store.stateStore } : {}),
      });
      try {
        const started = performance.now();
        const result = await executor.execute(noopWorkflow);
        const ms = performance.now() - started;
        if (result.status !== "COMPLETED") throw new Error(`the run ended ${result.status}`);
        return { ms };
      } finally {
        await executor.close();
        await store?.close();
      }
    },
    close: async () => {},
  };
}

/** The same workflow on AsyncExecutor: the store's own ceiling, without a queue. */
function asyncRun(openStore) {
  return {
    once: async () => {
      const store = await openStore();
      try {
        const executor = new fw.AsyncExecutor({
          maxConcurrent: WORKER_CONCURRENCY,
          stateStore: store.stateStore,
          logger: fw.silentLogger,
        });
        const started = performance.now();
        const result = await executor.execute(noopWorkflow);
        const ms = performance.now() - started;
        if (result.status !== "COMPLETED") throw new Error(`the run ended ${result.status}`);
        return { ms };
      } finally {
        await store.close();
      }
    },
    close: async () => {},
  };
}

/** A fresh SQLite store in a fresh directory. */
async function openSqlite() {
  const dir = makeTempDir();
  const stateStore = new fw.SQLiteStateStore(path.join(dir, "state.db"));
  return {
    stateStore,
    close: async () => {
      await stateStore.close();
      removeDir(dir);
    },
  };
}

/** A fresh PostgreSQL store in a schema of its own, dropped afterwards. */
async function openPostgres() {
  const schema = `fw_bench_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const stateStore = new fw.PostgresStateStore(POSTGRES_URL, { schema });
  return {
    stateStore,
    close: async () => {
      await stateStore.close();
      const { default: pg } = await import("pg");
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}

async function postgresProblem() {
  const store = await openPostgres().catch((error) => ({ error }));
  if (store.error) return store.error.message;
  try {
    await store.stateStore.listWorkflows();
    return undefined;
  } catch (error) {
    return error.message;
  } finally {
    await store.close().catch(() => {});
  }
}

/** Runs `make()` with `workers` started by `start`; the median of RUNS after a warm-up. */
async function measured(label, start, make, workers) {
  const prefix = `fwbench_${process.pid}_${label.replace(/\W+/g, "_")}_${workers}`;
  const children = start ? await start(prefix, workers) : [];
  const contender = await make(prefix);
  try {
    return (await measure(contender.once, { runs: RUNS, warmups: 1 })).ms;
  } finally {
    await contender.close();
    await stopProcesses(children);
    await deleteKeys(prefix);
  }
}

async function main() {
  const began = performance.now();
  const redisMissing = await redisProblem();
  const rows = [];
  const figures = new Map();
  const record = (key, label, workers, ms) => {
    figures.set(key, ms);
    rows.push([label, String(workers), format.rate(TASKS, ms), format.ms(ms)]);
  };
  const contenders = [
    ["raw BullMQ queue", "raw", rawWorkers, rawQueueRun],
    ["raw BullMQ FlowProducer", "flow", rawWorkers, rawFlowRun],
    ["BullMQExecutor (no store)", "fw", flowWeaverWorkers, (prefix) => flowWeaverRun(prefix)],
  ];
  for (const workers of [1, 2]) {
    for (const [label, key, start, make] of contenders) {
      if (redisMissing) {
        rows.push([label, String(workers), `not measured: ${redisMissing}`]);
        continue;
      }
      try {
        record(`${key}/${workers}`, label, workers, await measured(label, start, make, workers));
      } catch (error) {
        rows.push([label, String(workers), `failed: ${error.message}`]);
      }
    }
    rows.push(null);
  }

  const postgresMissing = await postgresProblem();
  const stores = [
    ["PostgreSQL", "pg", openPostgres, postgresMissing],
    [
      "SQLite",
      "sqlite",
      openSqlite,
      fw.SQLiteStateStore ? undefined : "SQLiteStateStore is not exported by dist/index.js",
    ],
  ];
  for (const [name, key, open, missing] of stores) {
    const viaQueue = `BullMQExecutor + ${name}`;
    if (missing || redisMissing) {
      rows.push([viaQueue, "2", `not measured: ${missing ?? redisMissing}`]);
    } else {
      try {
        const ms = await measured(viaQueue, flowWeaverWorkers, (p) => flowWeaverRun(p, open), 2);
        record(`fw-${key}/2`, viaQueue, 2, ms);
      } catch (error) {
        rows.push([viaQueue, "2", `failed: ${error.message}`]);
      }
    }
  }
  rows.push(null);
  for (const [name, key, open, missing] of stores) {
    const alone = `AsyncExecutor + ${name} (no queue)`;
    if (missing) {
      rows.push([alone, "-", `not measured: ${missing}`]);
      continue;
    }
    try {
      record(`async-${key}`, alone, "-", await measured(alone, undefined, () => asyncRun(open), 0));
    } catch (error) {
      rows.push([alone, "-", `failed: ${error.message}`]);
    }
  }

  printTable(
    `${format.count(TASKS)} independent no-op tasks, worker concurrency ${WORKER_CONCURRENCY}, median of ${RUNS} after a warm-up`,
    [
      { header: "contender", align: "left" },
      { header: "workers" },
      { header: "tasks/s" },
      { header: "ms" },
    ],
    rows,
    [
      "raw BullMQ: jobs added in bulk, timed until QueueEvents reports the last completion (FlowProducer: the parent's).",
      `BullMQExecutor: execute() with concurrency ${format.count(TASKS)}, so every job is queued at once, as with the raw queue.`,
      "AsyncExecutor rows: the store alone (maxConcurrent 50, no queue), the ceiling a store puts on a run.",
    ],
  );

  const targets = [1, 2].map((workers) => {
    const ours = figures.get(`fw/${workers}`);
    const raw = figures.get(`raw/${workers}`);
    const ratio = ours === undefined || raw === undefined ? undefined : raw / ours;
    return judgeTarget({
      name: `BullMQExecutor ÷ raw BullMQ queue throughput, ${workers} worker${workers === 1 ? "" : "s"}`,
      value: ratio,
      figure: ratio === undefined ? "" : format.ratio(ratio),
      target: "≥ 0.50×",
      passes: (r) => r >= 0.5,
    });
  });
  printTargets("Targets", targets);
  process.stdout.write(`\n(${((performance.now() - began) / 1000).toFixed(1)} s)\n`);
}
