import { setTimeout as sleep } from "node:timers/promises";
import { describeThrown, errorCode, FlowWeaverError } from "../../core/errors.js";
import type { PgModule, Pool } from "./driver.js";
import type { ResolvedConnection } from "./options.js";

const INT8_OID = 20;

/**
 * Opens the store's pool. Nothing connects yet; the pool opens connections as queries
 * need them. Idle connections never keep the process alive (`allowExitOnIdle`).
 */
export function createPool(pg: PgModule, connection: ResolvedConnection): Pool {
  const pool = new pg.Pool({
    ...connection.config,
    allowExitOnIdle: true,
    types: int8AsNumber(pg),
  });
  // An idle pooled connection that the server closes (a restart, pg_terminate_backend)
  // is reported here; without a listener the process would crash. The pool drops it and
  // the next query opens another, so there is nothing more to do.
  pool.on("error", () => {});
  return pool;
}

/**
 * Reads bigint columns as numbers: they hold millisecond times and sequence numbers,
 * far below 2^53, and node-postgres would otherwise return strings.
 */
export function int8AsNumber(pg: PgModule): { getTypeParser: PgModule["types"]["getTypeParser"] } {
  const base = pg.types.getTypeParser;
  const getTypeParser = ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID && format !== "binary"
      ? (value: string) => Number(value)
      : base(oid, format)) as PgModule["types"]["getTypeParser"];
  return { getTypeParser };
}

/** Network error codes that mean PostgreSQL could not be reached at all. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ENOENT", // a Unix socket path that does not exist
]);

/**
 * Errors after which the same work may simply be done again: the connection dropped
 * mid-way, or PostgreSQL chose this transaction as a serialization or deadlock victim.
 */
const TRANSIENT_CODES = new Set([
  "40001", // serialization_failure
  "40P01", // deadlock_detected
  "57P01", // admin_shutdown: the backend was terminated
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting up
  "08000",
  "08003",
  "08006", // connection exceptions
  "ECONNRESET",
  "EPIPE",
]);
const TRANSIENT_MESSAGES = [
  "Connection terminated unexpectedly",
  "Client has encountered a connection error and is not queryable",
];

/** True for errors after which repeating the same work may succeed. */
export function isTransient(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  const message = describeThrown(error);
  return TRANSIENT_MESSAGES.some((text) => message.includes(text));
}

/** True when the error also means the connection it came from is unusable. */
export function isConnectionLost(error: unknown): boolean {
  const code = errorCode(error);
  return isTransient(error) && code !== "40001" && code !== "40P01";
}

/** How often, and after what pauses, work hit by a transient error is tried again. */
export const RETRY_DELAYS_MS: readonly number[] = [50, 250, 1000];

/**
 * Runs `work`, again after a short pause when it fails with a transient error. Only for
 * work that is safe to repeat: every store write is an upsert or a delete, so a commit
 * that did land before its connection dropped lands the same the second time.
 */
export async function withRetry<T>(
  work: () => Promise<T>,
  delays: readonly number[] = RETRY_DELAYS_MS,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const delay = delays[attempt];
      if (delay === undefined || !isTransient(error)) throw error;
      // Jitter, so two coordinators picked as deadlock victims do not collide again.
      await sleep(delay * (0.5 + Math.random()));
    }
  }
}

/**
 * Turns the driver's errors into the store's: PostgreSQL unreachable, login refused,
 * database missing, permission denied, each naming the address (never the password) and
 * what to do. Other errors pass through unchanged.
 */
export function translate(error: unknown, connection: ResolvedConnection): unknown {
  if (error instanceof FlowWeaverError) return error;
  const { address, user, schema } = connection;
  const code = errorCode(error);
  const detail = connectMessage(error);
  const timeout = connection.config.connectionTimeoutMillis ?? 0;
  if (
    (code !== undefined && UNREACHABLE.has(code)) ||
    detail.includes("timeout exceeded when trying to connect") ||
    detail.includes("due to connection timeout")
  ) {
    // pg-pool reports the same timeout when every pooled connection stayed busy.
    const why = detail.includes("timeout exceeded")
      ? `no connection within ${timeout / 1000} s (${detail}; if the server is up, all of the pool's "max" connections stayed busy that long)`
      : detail.includes("timeout")
        ? `no answer within ${timeout / 1000} s (${detail})`
        : detail;
    return new FlowWeaverError(
      `PostgreSQL at ${address} is unreachable: ${why}. Start the server (on Debian or Ubuntu: \`pg_ctlcluster <version> main start\`), or fix the host, port and database given to PostgresStateStore.`,
      { code: "STORE_UNREACHABLE", cause: error },
    );
  }
  switch (code) {
    case "28P01":
    case "28000":
      return new FlowWeaverError(
        `PostgreSQL at ${address} refused the login of user "${user}": ${detail}. Check the user and password given to PostgresStateStore, and the server's pg_hba.conf.`,
        { code: "STORE_AUTH_FAILED", cause: error },
      );
    case "3D000":
      return new FlowWeaverError(
        `PostgreSQL at ${address} has no such database: ${detail}. Create it (\`createdb NAME\` or CREATE DATABASE), or name an existing database in the URL.`,
        { code: "STORE_DATABASE_MISSING", cause: error },
      );
    case "42501":
      return new FlowWeaverError(
        `PostgreSQL at ${address} denied user "${user}" what the state store needs in schema "${schema}": ${detail}. Grant the user CREATE on the database (or create schema "${schema}" owned by it), then try again.`,
        { code: "STORE_PERMISSION_DENIED", cause: error },
      );
    default:
      return error;
  }
}

/**
 * A connection error's text. Node reports a failed connection to a name with several
 * addresses (localhost: ::1 and 127.0.0.1) as an AggregateError with an empty message.
 */
function connectMessage(error: unknown): string {
  if (error instanceof AggregateError && error.message === "") {
    const inner = error.errors.map((e: unknown) => describeThrown(e)).filter(Boolean);
    return inner.length > 0 ? inner.join("; ") : (errorCode(error) ?? "connection failed");
  }
  const message = describeThrown(error);
  return message === "" ? (errorCode(error) ?? "connection failed") : message;
}
