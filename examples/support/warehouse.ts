/**
 * The warehouse the ETL examples load into: a SQLite file. Loads are upserts keyed by the
 * customer id, so loading the same rows twice leaves one copy: the idempotence the seed
 * asks of every task.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export interface WarehouseCustomer {
  readonly id: number;
  readonly name: string;
  readonly email: string;
  readonly country: string;
}

/** Inserts or updates `rows` in one transaction; returns how many rows were written. */
export function upsertCustomers(path: string, rows: readonly WarehouseCustomer[]): number {
  return withWarehouse(path, (db) => {
    const upsert = db.prepare(
      `INSERT INTO customers (id, name, email, country) VALUES (@id, @name, @email, @country)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, country = excluded.country`,
    );
    db.transaction(() => {
      for (const row of rows) upsert.run(row);
    })();
    return rows.length;
  });
}

/** The customers in the warehouse, by id. */
export function readCustomers(path: string): WarehouseCustomer[] {
  return withWarehouse(path, (db) =>
    db.prepare("SELECT id, name, email, country FROM customers ORDER BY id").all(),
  ) as WarehouseCustomer[];
}

function withWarehouse<T>(path: string, use: (db: Database.Database) => T): T {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.exec(
      "CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, country TEXT NOT NULL)",
    );
    return use(db);
  } finally {
    db.close();
  }
}
