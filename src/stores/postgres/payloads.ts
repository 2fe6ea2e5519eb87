import type { EncodedValue } from "../../core/serialization.js";
import type { Queryable } from "./driver.js";

/**
 * The statements behind `PostgresStateStore.payloads`: large results a BullMQ worker hands
 * to its coordinator through the database rather than through Redis.
 */
export class PayloadQueries {
  readonly #put: string;
  readonly #read: string;
  readonly #forget: string;

  /** `s` is the quoted schema name. */
  constructor(s: string) {
    // An upsert: a job BullMQ runs again after its worker died writes the same key again.
    this.#put = `INSERT INTO ${s}.payloads (key, workflow, kind, text, bytes, created_at)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (key) DO UPDATE SET workflow = excluded.workflow, kind = excluded.kind,
        text = excluded.text, bytes = excluded.bytes, created_at = excluded.created_at`;
    this.#read = `SELECT kind, text, bytes FROM ${s}.payloads WHERE key = $1`;
    this.#forget = `DELETE FROM ${s}.payloads WHERE key = $1`;
  }

  async put(db: Queryable, workflow: string, key: string, value: EncodedValue): Promise<void> {
    const binary = value.kind === "buffer";
    await db.query(this.#put, [
      key,
      workflow,
      value.kind,
      binary ? null : value.text,
      binary
        ? Buffer.from(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength)
        : null,
      Date.now(),
    ]);
  }

  /** Reads without deleting, so a read retried after a dropped connection finds it again. */
  async read(db: Queryable, key: string): Promise<EncodedValue | undefined> {
    const { rows } = await db.query<{ kind: string; text: string | null; bytes: Buffer | null }>(
      this.#read,
      [key],
    );
    const row = rows[0];
    if (!row) return undefined;
    return row.kind === "buffer"
      ? { kind: "buffer", bytes: row.bytes as Buffer }
      : { kind: row.kind as "json" | "superjson", text: row.text as string };
  }

  async forget(db: Queryable, key: string): Promise<void> {
    await db.query(this.#forget, [key]);
  }
}
