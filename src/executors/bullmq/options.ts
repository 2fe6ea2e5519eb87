/**
 * The options a BullMQ coordinator and its workers share (where Redis is, which queue),
 * checked once where they are given. No driver is loaded here: these types are public.
 */
import type { ConnectionOptions as TlsOptions } from "node:tls";
import { type Duration, durationToMs, show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";

/**
 * ioredis connection options (any other ioredis option passes through as it is). Unset
 * fields take ioredis's defaults: 127.0.0.1:6379, database 0.
 */
export interface RedisConnectionOptions {
  readonly host?: string;
  readonly port?: number;
  /** A Unix socket path instead of host and port. */
  readonly path?: string;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
  /** TLS options; `{}` for TLS with Node's defaults. */
  readonly tls?: TlsOptions;
  /** Milliseconds to wait for the first connection. @default 10000 */
  readonly connectTimeout?: number;
  readonly [option: string]: unknown;
}

/** Where the queue is: what a coordinator and its workers must agree on. */
export interface QueueOptions {
  /** Redis: a `redis://` or `rediss://` URL (`redis://:password@host:6379/0`), or ioredis options. */
  readonly connection: string | RedisConnectionOptions;
  /** The BullMQ queue attempts go through; coordinator and workers name the same one. @default "flowweaver" */
  readonly queueName?: string;
  /** BullMQ's prefix for the queue's Redis keys. @default "bull" */
  readonly prefix?: string;
}

/** Where Redis is, resolved once: ioredis options and the address messages name. */
export interface ResolvedRedis {
  readonly options: Readonly<Record<string, unknown>>;
  /** `host:port` or the socket path; never the password. */
  readonly address: string;
}

/** {@link QueueOptions}, checked. */
export interface ResolvedQueue {
  readonly redis: ResolvedRedis;
  readonly queueName: string;
  readonly prefix: string;
}

export const DEFAULT_QUEUE = "flowweaver";
export const DEFAULT_PREFIX = "bull";

/** Checks `connection`, `queueName` and `prefix`, or throws naming `owner` and the option. */
export function resolveQueue(owner: string, options: Partial<QueueOptions>): ResolvedQueue {
  if (options.connection === undefined) {
    throw new ConfigurationError(
      `${owner} needs option "connection": a Redis URL such as "redis://127.0.0.1:6379" or ioredis options such as { host: "127.0.0.1", port: 6379 }.`,
    );
  }
  return {
    redis: resolveRedis(owner, options.connection),
    queueName: readName(owner, "queueName", options.queueName, DEFAULT_QUEUE),
    prefix: readName(owner, "prefix", options.prefix, DEFAULT_PREFIX),
  };
}

function readName(owner: string, option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  // BullMQ builds keys as prefix:queue:…, so a colon would make one queue look like another.
  if (typeof value !== "string" || value === "" || value.includes(":")) {
    throw new ConfigurationError(
      `${owner} option "${option}" must be a non-empty string without ":"; got ${show(value)}.`,
    );
  }
  return value;
}

/** A duration option in milliseconds (> 0), or `fallback` when unset. */
export function readDurationMs(
  owner: string,
  option: string,
  value: unknown,
  fallbackMs: number,
): number {
  if (value === undefined) return fallbackMs;
  const ms = durationToMs(value as Duration, `${owner} option "${option}"`);
  if (ms < 1) {
    throw new ConfigurationError(
      `${owner} option "${option}" must be at least 1ms; got ${show(value)}.`,
    );
  }
  return Math.round(ms);
}

/** A whole-number option >= `min`, or `fallback` when unset. */
export function readWholeNumber(
  owner: string,
  option: string,
  value: unknown,
  min: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigurationError(
      `${owner} option "${option}" must be a whole number >= ${min}; got ${show(value)}.`,
    );
  }
  return value;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Checks a `connection` option (a `redis://` / `rediss://` URL or ioredis options) and
 * resolves it, or throws ConfigurationError naming `owner` and showing what was given.
 */
export function resolveRedis(owner: string, value: unknown): ResolvedRedis {
  if (typeof value === "string") return fromUrl(owner, value);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigurationError(
      `${owner} option "connection" must be a Redis URL such as "redis://127.0.0.1:6379" or ioredis options such as { host: "127.0.0.1", port: 6379 }; got ${show(value)}.`,
    );
  }
  const options = { ...(value as Record<string, unknown>) };
  const { host, port, path, db } = options;
  if (host !== undefined && (typeof host !== "string" || host === "")) {
    throw new ConfigurationError(
      `${owner} option "connection.host" must be a non-empty string; got ${show(host)}.`,
    );
  }
  if (
    port !== undefined &&
    (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
  ) {
    throw new ConfigurationError(
      `${owner} option "connection.port" must be a port number from 1 to 65535; got ${show(port)}.`,
    );
  }
  if (path !== undefined && (typeof path !== "string" || path === "")) {
    throw new ConfigurationError(
      `${owner} option "connection.path" must be a Unix socket path; got ${show(path)}.`,
    );
  }
  if (db !== undefined && (typeof db !== "number" || !Number.isInteger(db) || db < 0)) {
    throw new ConfigurationError(
      `${owner} option "connection.db" must be a whole number >= 0; got ${show(db)}.`,
    );
  }
  options.connectTimeout ??= DEFAULT_CONNECT_TIMEOUT_MS;
  const address =
    typeof path === "string"
      ? path
      : `${(host as string | undefined) ?? "127.0.0.1"}:${port ?? 6379}`;
  return { options, address };
}

function fromUrl(owner: string, text: string): ResolvedRedis {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    url = new URL("invalid://");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ConfigurationError(
      `${owner} option "connection" must be a redis:// or rediss:// URL such as "redis://127.0.0.1:6379/0", or ioredis options; got ${show(text)}.`,
    );
  }
  const dbText = url.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d+$/.test(dbText)) {
    throw new ConfigurationError(
      `${owner} option "connection": the path of a Redis URL is the database number, as in redis://host:6379/0; got ${show(text)}.`,
    );
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = url.port === "" ? 6379 : Number(url.port);
  const options: Record<string, unknown> = {
    host,
    port,
    connectTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
  };
  if (url.username !== "") options.username = decodeURIComponent(url.username);
  if (url.password !== "") options.password = decodeURIComponent(url.password);
  if (dbText !== "") options.db = Number(dbText);
  if (url.protocol === "rediss:") options.tls = {};
  return { options, address: `${url.hostname || host}:${port}` };
}
