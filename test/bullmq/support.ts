/**
 * What the BullMQ tests share: a Redis prefix of their own per test file (so files running
 * side by side never share a queue), removing every key under it afterwards, and a port
 * nothing listens on.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { REDIS_URL } from "../support/services.js";

export { REDIS_URL };

/** A BullMQ key prefix unique to this process and call: `fwtest_<tag>_<pid>_<hex>`. */
export function uniquePrefix(tag: string): string {
  return `fwtest_${tag}_${process.pid}_${randomBytes(3).toString("hex")}`;
}

/** Deletes every Redis key under `prefix:` (BullMQ's and FlowWeaver's alike). */
export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Keys under `prefix:` matching `pattern` (a Redis glob after the prefix). */
export async function keysUnder(prefix: string, pattern: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:${pattern}`, "COUNT", 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== "0");
    return found;
  } finally {
    redis.disconnect();
  }
}

/** A local port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
