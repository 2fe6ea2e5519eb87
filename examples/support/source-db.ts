/**
 * The "production database" the seed's tasks query (`db.query("SELECT * FROM users")`):
 * an in-memory SQLite database filled with the same deterministic users and orders in
 * every process, so examples and tests see stable data.
 */
import Database from "better-sqlite3";

export interface UserRow {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}

export interface OrderRow {
  readonly id: number;
  readonly user_id: number;
  readonly amount: number;
}

export const USER_COUNT = 250;
export const ORDER_COUNT = 600;

let db: Database.Database | undefined;

/** Runs a read query against the stand-in database. */
export function querySource<T>(sql: string, ...params: unknown[]): T[] {
  db ??= openSeeded();
  return db.prepare(sql).all(...params) as T[];
}

const FIRST_NAMES = ["Alice", "Bob", "Chidi", "Dana", "Emeka", "Fatima", "Gwen", "Hiro"];

function openSeeded(): Database.Database {
  const database = new Database(":memory:");
  database.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), amount INTEGER NOT NULL);
  `);
  const insertUser = database.prepare("INSERT INTO users (id, name, email) VALUES (?, ?, ?)");
  const insertOrder = database.prepare("INSERT INTO orders (id, user_id, amount) VALUES (?, ?, ?)");
  database.transaction(() => {
    for (let id = 1; id <= USER_COUNT; id++) {
      const name = `${FIRST_NAMES[id % FIRST_NAMES.length]} ${id}`;
      insertUser.run(id, name, `user${id}@example.com`);
    }
    for (let id = 1; id <= ORDER_COUNT; id++) {
      // Spread orders over users and amounts deterministically (no Math.random).
      insertOrder.run(id, ((id * 7) % USER_COUNT) + 1, 10 + ((id * 37) % 190));
    }
  })();
  return database;
}
