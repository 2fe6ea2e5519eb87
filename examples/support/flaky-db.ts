/**
 * A database stand-in whose writes can meet a lock held by another transaction, for the
 * seed's "transient DB locks should retry". Writes are upserts by `id`, so a retried
 * write never duplicates rows.
 */

/** Another transaction holds the lock: transient, worth a retry. */
export class DatabaseLockError extends Error {
  override readonly name = "DatabaseLockError";
}

export interface Keyed {
  readonly id: string | number;
}

export class LockingDatabase {
  #lockedWrites = 0;
  #writeCalls = 0;
  readonly #tables = new Map<string, Map<string | number, Keyed>>();

  /** The next `count` writes fail with DatabaseLockError, as if another transaction held the table. */
  lockNextWrites(count: number): void {
    this.#lockedWrites = count;
  }

  /** Upserts `rows` into `table` by id; returns how many were written. */
  write(table: string, rows: readonly Keyed[]): number {
    this.#writeCalls++;
    if (this.#lockedWrites > 0) {
      this.#lockedWrites--;
      throw new DatabaseLockError(`table "${table}" is locked by another transaction`);
    }
    const stored = this.#tables.get(table) ?? new Map<string | number, Keyed>();
    for (const row of rows) stored.set(row.id, row);
    this.#tables.set(table, stored);
    return rows.length;
  }

  rows(table: string): Keyed[] {
    return [...(this.#tables.get(table)?.values() ?? [])];
  }

  /** Write calls so far, failed ones included. */
  get writeCalls(): number {
    return this.#writeCalls;
  }
}
