/**
 * What the SQLite store tests share: a fresh directory per test with the stores opened in
 * it closed afterwards, and a connection of their own to look at the file behind a
 * store's back.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach } from "vitest";
import { SQLiteStateStore, type SQLiteStateStoreOptions } from "../../src/index.js";

export interface SQLiteScratch {
  /** This test's own directory, removed after it. */
  readonly dir: string;
  /** `state.db` in {@link dir}. */
  readonly file: string;
  /** A store on `at` (default {@link file}), closed after the test. */
  open(at?: string, options?: SQLiteStateStoreOptions): SQLiteStateStore;
}

/**
 * Gives each test of the file (or of the `describe` it is called in) a new temporary
 * directory, and closes the stores it opened before removing it.
 */
export function useSQLiteScratch(): SQLiteScratch {
  let dir = "";
  const stores: SQLiteStateStore[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fw-"));
  });
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get file() {
      return path.join(dir, "state.db");
    },
    open(at = path.join(dir, "state.db"), options) {
      const store = new SQLiteStateStore(at, options);
      stores.push(store);
      return store;
    },
  };
}

/** Uses `file` through a connection of its own, as another process would, then closes it. */
export function withDatabase<T>(
  file: string,
  use: (db: Database.Database) => T,
  options: Database.Options = {},
): T {
  const db = new Database(file, options);
  try {
    return use(db);
  } finally {
    db.close();
  }
}
