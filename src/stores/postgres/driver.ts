import type * as Pg from "pg";
import { describeThrown, errorCode, FlowWeaverError } from "../../core/errors.js";

/** The driver's types, for the store's own modules only: none appears in its public API. */
export type PgModule = typeof Pg;
export type Pool = Pg.Pool;
export type PoolClient = Pg.PoolClient;
export type Client = Pg.Client;
export type Queryable = Pick<Pg.ClientBase, "query">;

let loading: Promise<PgModule> | undefined;

/**
 * node-postgres, imported the first time a PostgreSQL store connects rather than when
 * `flowweaver` is imported: it is an optional peer dependency that users of the other
 * stores need not install.
 */
export function pgDriver(): Promise<PgModule> {
  loading ??= loadDriver(() => import("pg")).catch((error: unknown) => {
    // Let a later call try again (the package may have been installed meanwhile).
    loading = undefined;
    throw error;
  });
  return loading;
}

/** Imports the driver through `load`, turning failures into clear errors. */
export async function loadDriver(load: () => Promise<unknown>): Promise<PgModule> {
  let loaded: unknown;
  try {
    loaded = await load();
  } catch (error) {
    const code = errorCode(error);
    if (
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      describeThrown(error).includes("'pg'")
    ) {
      throw new FlowWeaverError(
        "PostgresStateStore needs the pg package (node-postgres), which is not installed. Install it with `npm install pg@^8`, or use SQLiteStateStore or JSONStateStore instead.",
        { code: "POSTGRES_DRIVER_MISSING", cause: error },
      );
    }
    throw new FlowWeaverError(
      `PostgresStateStore could not load the pg package: ${describeThrown(error)}. Reinstall it with \`npm install pg@^8\`.`,
      { code: "POSTGRES_DRIVER_FAILED", cause: error },
    );
  }
  // The package is CommonJS: its ESM face has everything on `default` (and, since 8.11,
  // as named exports too).
  const pg = ((loaded as { default?: unknown }).default ?? loaded) as Partial<PgModule>;
  if (typeof pg.Pool !== "function" || typeof pg.Client !== "function") {
    throw new FlowWeaverError(
      "PostgresStateStore loaded a pg package that has no Pool or Client: it is not node-postgres 8. Install it with `npm install pg@^8`.",
      { code: "POSTGRES_DRIVER_FAILED" },
    );
  }
  return pg as PgModule;
}
