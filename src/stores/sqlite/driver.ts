import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import { describeThrown, errorCode, FlowWeaverError } from "../../core/errors.js";

export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;
export type DatabaseConstructor = typeof BetterSqlite3;

let driver: DatabaseConstructor | undefined;

/**
 * better-sqlite3, loaded the first time a SQLite store is opened rather than when
 * `flowweaver` is imported: it is native code, an optional peer dependency that users of
 * the other stores need not install.
 */
export function sqliteDriver(): DatabaseConstructor {
  driver ??= loadDriver(createRequire(import.meta.url));
  return driver;
}

/** Loads the driver through `load` (a `require`), turning failures into clear errors. */
export function loadDriver(load: (id: string) => unknown): DatabaseConstructor {
  try {
    return load("better-sqlite3") as DatabaseConstructor;
  } catch (error) {
    if (
      errorCode(error) === "MODULE_NOT_FOUND" &&
      describeThrown(error).includes("better-sqlite3")
    ) {
      throw new FlowWeaverError(
        "SQLiteStateStore needs the better-sqlite3 package, which is not installed. Install it with `npm install better-sqlite3@^12` (version 12: 13 needs Node 22), or use JSONStateStore or MemoryStateStore instead.",
        { code: "SQLITE_DRIVER_MISSING", cause: error },
      );
    }
    throw new FlowWeaverError(
      `SQLiteStateStore could not load better-sqlite3: ${describeThrown(error)}. Its native module may have been built for another Node version: run \`npm rebuild better-sqlite3\`.`,
      { code: "SQLITE_DRIVER_FAILED", cause: error },
    );
  }
}
