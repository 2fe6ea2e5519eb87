/**
 * Reaching Redis: the connection options BullMQExecutor and workers take, the lazily
 * loaded drivers (bullmq and ioredis are optional peer dependencies, imported only when
 * a queue is used), and a first connection that fails fast with a message naming the
 * address, where ioredis alone would retry forever in silence.
 */
import type * as BullMQ from "bullmq";
import type { Redis as RedisClient, RedisOptions } from "ioredis";
import { describeThrown, errorCode, FlowWeaverError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { ResolvedRedis } from "./options.js";

export type { RedisClient };
export type BullMQModule = typeof BullMQ;
type RedisClass = new (options: RedisOptions) => RedisClient;

let bullmq: Promise<BullMQModule> | undefined;
let ioredis: Promise<RedisClass> | undefined;

/** bullmq, imported on first use: an optional peer dependency. */
export function loadBullMQ(): Promise<BullMQModule> {
  bullmq ??= importPackage("bullmq", () => import("bullmq")).then(
    (loaded) => loaded as BullMQModule,
    (error: unknown) => {
      bullmq = undefined;
      throw error;
    },
  );
  return bullmq;
}

/** ioredis's client class, imported on first use. */
export function loadIORedis(): Promise<RedisClass> {
  ioredis ??= importPackage("ioredis", () => import("ioredis")).then(
    (loaded) => {
      const module = loaded as { Redis?: unknown; default?: unknown };
      return (module.Redis ?? module.default) as RedisClass;
    },
    (error: unknown) => {
      ioredis = undefined;
      throw error;
    },
  );
  return ioredis;
}

async function importPackage(name: string, load: () => Promise<unknown>): Promise<unknown> {
  try {
    return await load();
  } catch (error) {
    const code = errorCode(error);
    const missing =
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      describeThrown(error).includes(`'${name}'`);
    throw new FlowWeaverError(
      missing
        ? `BullMQExecutor and FlowWeaver workers need the ${name} package, which is not installed. Install both drivers with \`npm install bullmq@^5 ioredis@^5\`.`
        : `BullMQExecutor could not load the ${name} package: ${describeThrown(error)}. Reinstall it with \`npm install bullmq@^5 ioredis@^5\`.`,
      { code: "BULLMQ_DRIVER_MISSING", cause: error },
    );
  }
}

/**
 * Opens one connection that gives up at the first failure, and closes it: run before
 * anything else connects, so an unreachable or misconfigured Redis is a clear error at
 * once. `who` names the caller in the message ("BullMQExecutor", "flowweaver worker").
 */
export async function checkRedis(redis: ResolvedRedis, who: string): Promise<void> {
  const Redis = await loadIORedis();
  let last: unknown;
  const client = new Redis({
    ...(redis.options as RedisOptions),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", (error: unknown) => {
    last = error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw redisUnreachable(redis, who, last ?? error);
  } finally {
    await disconnect(client);
  }
}

/**
 * Closes a client at once and resolves when its socket is closed: ioredis's own
 * `disconnect()` returns first and keeps a timer until then.
 */
export async function disconnect(client: RedisClient): Promise<void> {
  if (client.status === "end" || client.status === "wait") {
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
  client.disconnect();
  await ended;
}

/** The error for a Redis that could not be reached or refused us, naming its address. */
export function redisUnreachable(
  redis: ResolvedRedis,
  who: string,
  error: unknown,
): FlowWeaverError {
  const detail = connectMessage(error);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(detail)) {
    return new FlowWeaverError(
      `Redis at ${redis.address} refused ${who}'s login: ${detail}. Check the username and password in the connection given to ${who}.`,
      { code: "REDIS_AUTH_FAILED", cause: error },
    );
  }
  return new FlowWeaverError(
    `Redis at ${redis.address} is unreachable for ${who}: ${detail}. Start it (for example \`redis-server --port 6379\`), or fix the host and port given to ${who}.`,
    { code: "REDIS_UNREACHABLE", cause: error },
  );
}

function connectMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") {
    const inner = error.errors.map((e: unknown) => describeThrown(e)).filter(Boolean);
    return inner.join("; ") || (errorCode(error) ?? "connection failed");
  }
  return describeThrown(error) || (errorCode(error) ?? "connection failed");
}

/** Creates a long-lived client that reconnects by itself, logging a lost connection once. */
export async function createClient(
  redis: ResolvedRedis,
  logger: Logger,
  what: string,
  extra: RedisOptions = {},
): Promise<RedisClient> {
  const Redis = await loadIORedis();
  const client = new Redis({ ...(redis.options as RedisOptions), ...extra });
  watchErrors(client, logger, `${what} (Redis at ${redis.address})`);
  return client;
}

/**
 * Logs a connection's errors without crashing the process: the first error after each
 * successful connection as a warning, and not the reconnection attempts that follow.
 */
export function watchErrors(
  emitter: { on(event: string, listener: (...args: never[]) => void): unknown },
  logger: Logger,
  what: string,
): void {
  let quiet = false;
  emitter.on("error", ((error: unknown) => {
    if (quiet) return;
    quiet = true;
    logger.warn({ error }, `${what}: ${describeThrown(error)}; reconnecting`);
  }) as (...args: never[]) => void);
  emitter.on("ready", (() => {
    quiet = false;
  }) as (...args: never[]) => void);
}
