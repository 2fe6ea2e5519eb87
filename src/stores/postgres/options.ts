import type { ConnectionOptions } from "node:tls";
import { show } from "../../core/duration.js";
import { ConfigurationError } from "../../core/errors.js";
import { type OptionsShape, readDurability, readOptionsObject } from "../shared/options.js";
import type { Durability } from "../store.js";

/** Options of {@link PostgresStateStore}. */
export interface PostgresStateStoreOptions {
  /**
   * The PostgreSQL schema that holds the store's tables, created when missing. Several
   * stores can share one database, each in its own schema. A plain identifier: letters,
   * digits and `_`, starting with a letter or `_`, at most 63 characters, not `pg_…`.
   * A `schema` parameter in the connection URL (`…/db?schema=etl`) does the same.
   * @default "flowweaver"
   */
  readonly schema?: string;
  /**
   * `"normal"` commits with the server's own `synchronous_commit` setting (out of the box
   * `on`: a commit is on the server's disk before it is acknowledged); `"full"` forces
   * `synchronous_commit = on` for the store's commits, whatever the server, database or
   * role configure.
   * @default "normal"
   */
  readonly durability?: Durability;
}

/**
 * How to reach PostgreSQL, when not given as a URL: the subset of node-postgres's pool
 * configuration the store passes on. Unset fields fall back to the `PGHOST`, `PGPORT`,
 * `PGDATABASE`, `PGUSER` and `PGPASSWORD` environment variables, then to node-postgres's
 * defaults (localhost:5432).
 */
export interface PostgresPoolConfig {
  /** A `postgres://user:password@host:port/database` URL; its parts win over the fields. */
  readonly connectionString?: string;
  readonly host?: string;
  readonly port?: number;
  readonly database?: string;
  readonly user?: string;
  readonly password?: string | (() => string | Promise<string>);
  readonly ssl?: boolean | ConnectionOptions;
  /**
   * Most pooled connections for queries; a store holding workflow locks keeps one more.
   * @default 10
   */
  readonly max?: number;
  /**
   * How long to wait for a connection before the store reports PostgreSQL unreachable.
   * @default 10000
   */
  readonly connectionTimeoutMillis?: number;
  /** How long an idle pooled connection stays open. @default 10000 */
  readonly idleTimeoutMillis?: number;
  readonly statement_timeout?: number;
  readonly query_timeout?: number;
  readonly lock_timeout?: number;
  /** @default "flowweaver" */
  readonly application_name?: string;
  readonly keepAlive?: boolean;
}

/** Everything the store needs about where it connects, resolved once in the constructor. */
export interface ResolvedConnection {
  /** What node-postgres is handed (without the store's own `schema` URL parameter). */
  readonly config: PostgresPoolConfig;
  /** `host:port/database`, for messages: never the password. */
  readonly address: string;
  readonly user: string;
  readonly schema: string;
  readonly durability: Durability;
  /** `postgres://user@host:port/database?schema=name`: the store's `location`. */
  readonly location: string;
}

/** The schema a store uses when neither the options nor the URL name one. */
export const DEFAULT_SCHEMA = "flowweaver";
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
const MAX_IDENTIFIER = 63;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPTIONS: OptionsShape = {
  call: "new PostgresStateStore(url, options)",
  example: '{ schema: "etl" }',
  names: ["schema", "durability"],
};
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

type FieldCheck = (value: unknown) => boolean;
const isString: FieldCheck = (v) => typeof v === "string";
const isPositiveInteger: FieldCheck = (v) => typeof v === "number" && Number.isInteger(v) && v > 0;
const isWholeNumber: FieldCheck = (v) => typeof v === "number" && Number.isInteger(v) && v >= 0;

/** Each accepted pool field, with its check and what the message says it must be. */
const POOL_FIELDS: Readonly<Record<string, readonly [FieldCheck, string]>> = {
  connectionString: [isString, "a postgres:// URL"],
  host: [(v) => isString(v) && v !== "", "a non-empty host name, address or socket directory"],
  port: [(v) => isPositiveInteger(v) && (v as number) < 65536, "a port number from 1 to 65535"],
  database: [(v) => isString(v) && v !== "", "a non-empty database name"],
  user: [(v) => isString(v) && v !== "", "a non-empty user name"],
  password: [(v) => isString(v) || typeof v === "function", "a string or a function"],
  ssl: [
    (v) => typeof v === "boolean" || (typeof v === "object" && v !== null),
    "a boolean or TLS options",
  ],
  max: [isPositiveInteger, "a whole number >= 1"],
  connectionTimeoutMillis: [isPositiveInteger, "a whole number of milliseconds >= 1"],
  idleTimeoutMillis: [isWholeNumber, "a whole number of milliseconds >= 0"],
  statement_timeout: [isWholeNumber, "a whole number of milliseconds >= 0"],
  query_timeout: [isWholeNumber, "a whole number of milliseconds >= 0"],
  lock_timeout: [isWholeNumber, "a whole number of milliseconds >= 0"],
  application_name: [isString, "a string"],
  keepAlive: [(v) => typeof v === "boolean", "a boolean"],
};

/**
 * Checks the constructor's arguments and works out the address, user, schema and
 * location, without connecting. Throws ConfigurationError naming what is wrong.
 */
export function resolveConnection(
  urlOrPoolConfig: unknown,
  options: unknown,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedConnection {
  const { schema: schemaOption, durability } = readOptions(options);
  let config: PostgresPoolConfig;
  if (typeof urlOrPoolConfig === "string") {
    config = { connectionString: urlOrPoolConfig };
  } else if (
    typeof urlOrPoolConfig === "object" &&
    urlOrPoolConfig !== null &&
    !Array.isArray(urlOrPoolConfig)
  ) {
    config = readPoolConfig(urlOrPoolConfig as Record<string, unknown>);
  } else {
    throw new ConfigurationError(
      `new PostgresStateStore(urlOrPoolConfig): give a URL such as "postgres://user@127.0.0.1:5432/app" or an object such as { host: "127.0.0.1", database: "app" }; got ${show(urlOrPoolConfig)}.`,
    );
  }

  let fromUrl: UrlParts = {};
  if (config.connectionString !== undefined) {
    fromUrl = parseUrl(config.connectionString);
    if (fromUrl.stripped !== config.connectionString) {
      config = { ...config, connectionString: fromUrl.stripped };
    }
  }
  if (
    schemaOption !== undefined &&
    fromUrl.schema !== undefined &&
    schemaOption !== fromUrl.schema
  ) {
    throw new ConfigurationError(
      `new PostgresStateStore(): the URL names schema ${show(fromUrl.schema)} but option "schema" is ${show(schemaOption)}; give the schema in one place only.`,
    );
  }
  const schema = schemaOption ?? fromUrl.schema ?? DEFAULT_SCHEMA;
  if (fromUrl.schema !== undefined) checkSchema(fromUrl.schema, "the URL's schema parameter");

  // The order node-postgres itself follows: the URL, the fields, PG* variables, defaults.
  const host = fromUrl.host ?? config.host ?? nonEmpty(env.PGHOST) ?? "localhost";
  const port = fromUrl.port ?? config.port ?? (Number(env.PGPORT) || 5432);
  const user =
    fromUrl.user ?? config.user ?? nonEmpty(env.PGUSER) ?? nonEmpty(env.USER) ?? "postgres";
  const database = fromUrl.database ?? config.database ?? nonEmpty(env.PGDATABASE) ?? user;
  const shownHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const address = `${shownHost}:${port}/${database}`;
  return {
    config: {
      connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
      idleTimeoutMillis: 10_000,
      application_name: "flowweaver",
      ...config,
    },
    address,
    user,
    schema,
    durability,
    location: `postgres://${encodeURIComponent(user)}@${address}?schema=${schema}`,
  };
}

/** Quotes a checked identifier for SQL (it holds no quote, but quoting keeps its case). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function readOptions(options: unknown): { schema?: string; durability: Durability } {
  const { schema, durability: given } = readOptionsObject(options, OPTIONS);
  const durability = readDurability(given, "PostgresStateStore");
  if (schema === undefined) return { durability };
  checkSchema(schema, 'option "schema"');
  return { schema, durability };
}

function checkSchema(schema: unknown, what: string): asserts schema is string {
  if (
    typeof schema !== "string" ||
    !IDENTIFIER.test(schema) ||
    schema.length > MAX_IDENTIFIER ||
    schema.toLowerCase().startsWith("pg_")
  ) {
    throw new ConfigurationError(
      `PostgresStateStore ${what} must be a plain schema name: letters, digits and "_", starting with a letter or "_", at most ${MAX_IDENTIFIER} characters, not starting with "pg_" (PostgreSQL keeps those); got ${show(schema)}. For example "flowweaver" or "etl_state".`,
    );
  }
}

function readPoolConfig(given: Record<string, unknown>): PostgresPoolConfig {
  const unknown = Object.keys(given).filter((key) => !Object.hasOwn(POOL_FIELDS, key));
  if (unknown.length > 0) {
    throw new ConfigurationError(
      `new PostgresStateStore(poolConfig): unknown field ${unknown.map((k) => `"${k}"`).join(", ")}; the fields are: ${Object.keys(POOL_FIELDS).join(", ")}.`,
    );
  }
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const [check, expected] = POOL_FIELDS[key] as readonly [FieldCheck, string];
    if (!check(value)) {
      const shown = key === "password" ? "a value of another type" : show(value);
      throw new ConfigurationError(
        `new PostgresStateStore(poolConfig): "${key}" must be ${expected}; got ${shown}.`,
      );
    }
  }
  return given as PostgresPoolConfig;
}

interface UrlParts {
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly database?: string;
  readonly schema?: string;
  /** The URL without its `schema` parameter, as node-postgres gets it. */
  readonly stripped?: string;
}

/** The parts of a connection URL the store names in messages; never keeps the password. */
function parseUrl(text: string): UrlParts {
  const bad = (why: string) =>
    new ConfigurationError(
      `new PostgresStateStore(url): ${why}; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, such as "postgres://app@127.0.0.1:5432/app". Got ${show(redact(text))}.`,
    );
  if (!/^postgres(ql)?:\/\//i.test(text)) throw bad('the URL must start with "postgres://"');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad("it is not a valid URL");
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw bad(`${show(part)} is not validly percent-encoded`);
    }
  };
  const port = url.port === "" ? undefined : Number(url.port);
  const database = url.pathname.length > 1 ? decode(url.pathname.slice(1)) : undefined;
  // A `host` parameter names a Unix socket directory (postgres:///db?host=/var/run/postgresql).
  const host = nonEmpty(url.searchParams.get("host") ?? undefined) ?? nonEmpty(url.hostname);
  const schema = url.searchParams.get("schema") ?? undefined;
  let stripped = text;
  if (schema !== undefined) {
    url.searchParams.delete("schema");
    stripped = url.toString();
  }
  return {
    ...(host === undefined ? {} : { host: decode(host) }),
    ...(port === undefined ? {} : { port }),
    ...(url.username === "" ? {} : { user: decode(url.username) }),
    ...(database === undefined ? {} : { database }),
    ...(schema === undefined ? {} : { schema }),
    stripped,
  };
}

/** A URL with its password replaced, for messages. */
export function redact(text: string): string {
  return text.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/i, "$1***@");
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
