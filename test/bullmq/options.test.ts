/**
 * What BullMQExecutor and startWorker refuse before connecting, what they say when Redis
 * or PostgreSQL cannot be reached, and that importing flowweaver loads neither driver.
 * Nothing here needs a running service.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  BullMQExecutor,
  ConfigurationError,
  FlowWeaverError,
  MemoryStateStore,
  PostgresStateStore,
  silentLogger,
  startWorker,
  task,
  Workflow,
} from "../../src/index.js";
import { closedPort } from "./support.js";

const wf = new Workflow("options_probe");
wf.addTask(task("only", () => 1));

function configurationError(make: () => unknown): ConfigurationError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}

async function rejection(promise: Promise<unknown>): Promise<FlowWeaverError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlowWeaverError);
    return error as FlowWeaverError;
  }
  throw new Error("expected a rejection");
}

describe("BullMQExecutor options", () => {
  it.each([
    [{}, /needs option "connection": a Redis URL such as "redis:\/\/127.0.0.1:6379"/],
    [
      { connection: "http://cache:6379" },
      /must be a redis:\/\/ or rediss:\/\/ URL .*got "http:\/\/cache:6379"/,
    ],
    [{ connection: "redis://cache:6379/zero" }, /the path of a Redis URL is the database number/],
    [
      { connection: { port: 70000 } },
      /"connection.port" must be a port number from 1 to 65535; got 70000/,
    ],
    [{ connection: 6379 }, /option "connection" must be a Redis URL .*; got 6379/],
    [
      { connection: "redis://x", queueName: "etl:daily" },
      /"queueName" must be a non-empty string without ":"; got "etl:daily"/,
    ],
    [
      { connection: "redis://x", prefix: "" },
      /"prefix" must be a non-empty string without ":"; got ""/,
    ],
    [
      { connection: "redis://x", concurrency: 0 },
      /"concurrency" must be a whole number >= 1; got 0/,
    ],
    [
      { connection: "redis://x", maxInlineBytes: -1 },
      /"maxInlineBytes" must be a whole number >= 0; got -1/,
    ],
    [{ connection: "redis://x", concurency: 5 }, /unknown option "concurency"/],
  ])("refuses %j", (options, message) => {
    const error = configurationError(() => new BullMQExecutor(options as never));
    expect(error.message).toMatch(message);
  });

  it("takes a URL or ioredis options and names the queue", () => {
    expect(new BullMQExecutor({ connection: "rediss://:pw@cache.internal:6380/2" }).queueName).toBe(
      "flowweaver",
    );
    const executor = new BullMQExecutor({
      connection: { host: "cache.internal", port: 6380, db: 1, keepAlive: 1000 },
      queueName: "etl",
      concurrency: 5,
    });
    expect(executor).toMatchObject({ queueName: "etl", concurrency: 5 });
  });
});

describe("startWorker options", () => {
  it.each([
    [{ connection: "redis://x" }, /exactly one of "module" .* and "workflow"/],
    [{ connection: "redis://x", module: "a.mjs", workflow: wf }, /exactly one of "module"/],
    [{ connection: "redis://x", workflow: [] }, /"workflow" is an empty array/],
    [
      { connection: "redis://x", workflow: { name: "fake" } },
      /"workflow" must be a Workflow or an array of them/,
    ],
    [
      { connection: "redis://x", workflow: wf, concurrency: 1.5 },
      /"concurrency" must be a whole number >= 1; got 1.5/,
    ],
    [
      { connection: "redis://x", workflow: wf, lockDuration: "soon" },
      /"lockDuration" must be a duration/,
    ],
    [
      { connection: "redis://x", workflow: wf, stateStore: {} },
      /"stateStore" must be a state store/,
    ],
    [
      { connection: "redis://x", workflow: wf, logger: console.log },
      /"logger" must have debug, info, warn and error/,
    ],
    [{ connection: "redis://x", workflow: wf, stalled: 1 }, /unknown option "stalled"/],
  ])("refuses %j", async (options, message) => {
    const error = await rejection(startWorker(options as never));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(message);
  });
});

describe("unreachable services", () => {
  it("a coordinator names the Redis address it cannot reach, and how to start Redis", async () => {
    const port = await closedPort();
    const stateStore = new MemoryStateStore();
    const executor = new BullMQExecutor({
      connection: `redis://:s3cret@127.0.0.1:${port}`,
      stateStore,
      logger: silentLogger,
    });
    const error = await rejection(executor.execute(wf));
    expect(error.code).toBe("REDIS_UNREACHABLE");
    expect(error.message).toContain(`Redis at 127.0.0.1:${port} is unreachable for BullMQExecutor`);
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain("redis-server");
    expect(error.message).not.toContain("s3cret");
    // The run released its lock: the next one fails the same way, not as locked.
    expect((await rejection(executor.execute(wf))).code).toBe("REDIS_UNREACHABLE");
    await executor.close();
  });

  it("a worker names the Redis address it cannot reach", async () => {
    const port = await closedPort();
    const error = await rejection(
      startWorker({ workflow: wf, connection: { host: "127.0.0.1", port }, logger: silentLogger }),
    );
    expect(error.code).toBe("REDIS_UNREACHABLE");
    expect(error.message).toContain(
      `Redis at 127.0.0.1:${port} is unreachable for flowweaver worker`,
    );
  });

  it("a worker names the PostgreSQL address its state store cannot reach", async () => {
    const port = await closedPort();
    const stateStore = new PostgresStateStore(`postgres://app@127.0.0.1:${port}/jobs`);
    const error = await rejection(
      startWorker({
        workflow: wf,
        connection: "redis://127.0.0.1:6379",
        stateStore,
        logger: silentLogger,
      }),
    );
    expect(error.code).toBe("STORE_UNREACHABLE");
    expect(error.message).toContain(`PostgreSQL at 127.0.0.1:${port}/jobs is unreachable`);
    await stateStore.close();
  });
});

describe("drivers", () => {
  it("importing flowweaver loads neither bullmq nor ioredis; using the executor loads them", () => {
    const index = new URL("../../src/index.ts", import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import { createRequire } from "node:module";
         const cache = () => Object.keys(createRequire(import.meta.url).cache);
         const loaded = (name) => cache().some((k) => k.includes("/node_modules/" + name + "/"));
         const { BullMQExecutor, Workflow, silentLogger } = await import(${JSON.stringify(index)});
         const executor = new BullMQExecutor({ connection: "redis://127.0.0.1:1", logger: silentLogger });
         const before = { ioredis: loaded("ioredis"), bullmq: loaded("bullmq") };
         await executor.execute(new Workflow("probe")).catch(() => {});
         await executor.close();
         console.log(JSON.stringify({ before, after: loaded("ioredis") }));`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual({
      before: { ioredis: false, bullmq: false },
      after: true,
    });
  });
});
