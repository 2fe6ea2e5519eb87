import { createHash } from "node:crypto";

/**
 * A PostgreSQL advisory lock key. Advisory locks are shared by every schema of a
 * database, so the key hashes the schema with the name: two stores in two schemas never
 * contend, and nothing else using advisory locks is likely to collide with 64 bits.
 */
export interface AdvisoryKey {
  /** The signed 64-bit key, as a decimal string for a `bigint` parameter. */
  readonly key: string;
  /** How `pg_locks` shows a bigint key: its high and low 32 bits as `classid` / `objid`. */
  readonly classid: number;
  readonly objid: number;
}

export function advisoryKey(
  purpose: "workflow" | "migrate",
  schema: string,
  name = "",
): AdvisoryKey {
  const digest = createHash("sha256")
    .update(`flowweaver\u0000${purpose}\u0000${schema}\u0000${name}`)
    .digest();
  const key = digest.readBigInt64BE(0);
  return { key: key.toString(), classid: digest.readUInt32BE(0), objid: digest.readUInt32BE(4) };
}
