import type { SerializedError } from "../../core/errors.js";
import { type EncodedValue, encodeValue } from "../../core/serialization.js";
import type { AttemptRecord, RunRecord, StoreBatch, TaskStateWrite } from "../store.js";
import type { Queryable } from "./driver.js";

/** Rows sent in one statement, and about how many bytes of results: bounds one message. */
export const ROWS_PER_STATEMENT = 10_000;
export const RESULT_BYTES_PER_STATEMENT = 32 * 1024 * 1024;

/**
 * Writes a batch inside the caller's transaction with a few statements whatever its size:
 * each table gets one multi-row `INSERT … SELECT FROM unnest($1, $2, …) ON CONFLICT … DO
 * UPDATE` per {@link ROWS_PER_STATEMENT} rows, its columns sent as arrays. Rows for the
 * same key are merged first (the later wins), as one statement may not update a row twice.
 */
export class CommitWriter {
  readonly #partitions: string;
  readonly #states: string;
  readonly #runs: string;
  readonly #attempts: string;

  /** `s` is the quoted schema name. */
  constructor(s: string) {
    // Upserting with a no-op update (rather than DO NOTHING) returns the existing rows'
    // ids too, and locks them until commit, so a concurrent clear cannot delete a
    // partition between this statement and the states that refer to it.
    this.#partitions = `INSERT INTO ${s}.partitions AS p (workflow, run_key)
      SELECT * FROM unnest($1::text[], $2::text[])
      ON CONFLICT (workflow, run_key) DO UPDATE SET workflow = excluded.workflow
      RETURNING p.id, p.workflow, p.run_key`;
    this.#states = `INSERT INTO ${s}.task_states AS t (partition, task, status, run_id, attempts,
        started_at, finished_at, duration, version, error, result_kind, result_text, result_bytes)
      SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::int4[],
        $6::int8[], $7::int8[], $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[],
        $13::bytea[])
      ON CONFLICT (partition, task) DO UPDATE SET
        status = excluded.status, run_id = excluded.run_id, attempts = excluded.attempts,
        started_at = excluded.started_at, finished_at = excluded.finished_at,
        duration = excluded.duration, version = excluded.version, error = excluded.error,
        result_kind = excluded.result_kind, result_text = excluded.result_text,
        result_bytes = excluded.result_bytes`;
    // ORDER BY ord: runs get their seq in the order they were written (it breaks ties).
    this.#runs = `INSERT INTO ${s}.runs AS r (run_id, workflow, run_key, status, started_at, finished_at, error)
      SELECT run_id, workflow, run_key, status, started_at, finished_at, error
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::text[])
        WITH ORDINALITY AS u(run_id, workflow, run_key, status, started_at, finished_at, error, ord)
      ORDER BY ord
      ON CONFLICT (run_id) DO UPDATE SET
        workflow = excluded.workflow, run_key = excluded.run_key, status = excluded.status,
        started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error`;
    // An attempt may arrive before its run's record: the run is then entered without a
    // status (so it is not listed) until its record fills it in.
    this.#attempts = `WITH ids AS (
        INSERT INTO ${s}.runs AS r (run_id, workflow, run_key, status, started_at)
        SELECT run_id, workflow, '', NULL, started_at
        FROM unnest($1::text[], $2::text[], $3::int8[]) WITH ORDINALITY AS u(run_id, workflow, started_at, ord)
        ORDER BY ord
        ON CONFLICT (run_id) DO UPDATE SET run_id = excluded.run_id
        RETURNING r.seq, r.run_id
      )
      INSERT INTO ${s}.attempts AS a (run, task, attempt, status, started_at, finished_at, error)
      SELECT ids.seq, u.task, u.attempt, u.status, u.started_at, u.finished_at, u.error
      FROM unnest($4::text[], $5::text[], $6::int4[], $7::text[], $8::int8[], $9::int8[], $10::text[])
        AS u(run_id, task, attempt, status, started_at, finished_at, error)
      JOIN ids ON ids.run_id = u.run_id
      ON CONFLICT (run, task, attempt) DO UPDATE SET
        status = excluded.status, started_at = excluded.started_at,
        finished_at = excluded.finished_at, error = excluded.error`;
  }

  async write(db: Queryable, batch: StoreBatch): Promise<void> {
    const runs = latest(batch.runs, (r) => r.runId);
    if (runs.length > 0) await this.#writeRuns(db, runs);
    const states = latest(batch.taskStates, (s) => `${s.workflow}\u0000${s.runKey}\u0000${s.task}`);
    if (states.length > 0) await this.#writeStates(db, states);
    const attempts = latest(batch.attempts, (a) => `${a.runId}\u0000${a.task}\u0000${a.attempt}`);
    for (let at = 0; at < attempts.length; at += ROWS_PER_STATEMENT) {
      await this.#writeAttempts(db, attempts.slice(at, at + ROWS_PER_STATEMENT));
    }
  }

  async #writeRuns(db: Queryable, runs: readonly RunRecord[]): Promise<void> {
    for (let at = 0; at < runs.length; at += ROWS_PER_STATEMENT) {
      const chunk = runs.slice(at, at + ROWS_PER_STATEMENT);
      await db.query(this.#runs, [
        chunk.map((r) => r.runId),
        chunk.map((r) => r.workflow),
        chunk.map((r) => r.runKey),
        chunk.map((r) => r.status),
        chunk.map((r) => r.startedAt),
        chunk.map((r) => r.finishedAt ?? null),
        chunk.map((r) => errorText(r.error)),
      ]);
    }
  }

  async #writeStates(db: Queryable, states: readonly TaskStateWrite[]): Promise<void> {
    const ids = await this.#partitionIds(db, states);
    let rows = new StateColumns();
    for (const s of states) {
      rows.add(ids.get(`${s.workflow}\u0000${s.runKey}`) as number, s);
      if (rows.size >= ROWS_PER_STATEMENT || rows.resultBytes >= RESULT_BYTES_PER_STATEMENT) {
        await db.query(this.#states, rows.values());
        rows = new StateColumns();
      }
    }
    if (rows.size > 0) await db.query(this.#states, rows.values());
  }

  /** The id of every partition the states write to, created when missing. */
  async #partitionIds(
    db: Queryable,
    states: readonly TaskStateWrite[],
  ): Promise<Map<string, number>> {
    const workflows: string[] = [];
    const runKeys: string[] = [];
    const seen = new Set<string>();
    let previous: TaskStateWrite | undefined;
    for (const s of states) {
      // States come grouped by partition: skip the lookup while it does not change.
      if (previous && previous.workflow === s.workflow && previous.runKey === s.runKey) continue;
      previous = s;
      const id = `${s.workflow}\u0000${s.runKey}`;
      if (seen.has(id)) continue;
      seen.add(id);
      workflows.push(s.workflow);
      runKeys.push(s.runKey);
    }
    const { rows } = await db.query<{ id: number; workflow: string; run_key: string }>(
      this.#partitions,
      [workflows, runKeys],
    );
    return new Map(rows.map((row) => [`${row.workflow}\u0000${row.run_key}`, row.id]));
  }

  async #writeAttempts(db: Queryable, attempts: readonly AttemptRecord[]): Promise<void> {
    // Each run once, as its first attempt in the chunk names it.
    const runs = new Map<string, AttemptRecord>();
    for (const a of attempts) if (!runs.has(a.runId)) runs.set(a.runId, a);
    const first = [...runs.values()];
    await db.query(this.#attempts, [
      first.map((a) => a.runId),
      first.map((a) => a.workflow),
      first.map((a) => a.startedAt),
      attempts.map((a) => a.runId),
      attempts.map((a) => a.task),
      attempts.map((a) => a.attempt),
      attempts.map((a) => a.status),
      attempts.map((a) => a.startedAt),
      attempts.map((a) => a.finishedAt ?? null),
      attempts.map((a) => errorText(a.error)),
    ]);
  }
}

/** One statement's task state rows, column by column. */
class StateColumns {
  readonly #partition: number[] = [];
  readonly #task: string[] = [];
  readonly #status: string[] = [];
  readonly #runId: string[] = [];
  readonly #attempts: number[] = [];
  readonly #startedAt: (number | null)[] = [];
  readonly #finishedAt: (number | null)[] = [];
  readonly #duration: (number | null)[] = [];
  readonly #version: (string | null)[] = [];
  readonly #error: (string | null)[] = [];
  readonly #resultKind: (string | null)[] = [];
  readonly #resultText: (string | null)[] = [];
  readonly #resultBytes: (Buffer | null)[] = [];
  resultBytes = 0;

  get size(): number {
    return this.#task.length;
  }

  add(partition: number, s: TaskStateWrite): void {
    this.#partition.push(partition);
    this.#task.push(s.task);
    this.#status.push(s.status);
    this.#runId.push(s.runId);
    this.#attempts.push(s.attempts);
    this.#startedAt.push(s.startedAt ?? null);
    this.#finishedAt.push(s.finishedAt ?? null);
    this.#duration.push(s.duration ?? null);
    this.#version.push(s.version ?? null);
    this.#error.push(errorText(s.error));
    const result = s.result === undefined ? undefined : storable(s);
    this.#resultKind.push(result?.kind ?? null);
    if (result === undefined) {
      this.#resultText.push(null);
      this.#resultBytes.push(null);
    } else if (result.kind === "buffer") {
      this.#resultText.push(null);
      this.#resultBytes.push(asBuffer(result.bytes));
      this.resultBytes += result.bytes.byteLength;
    } else {
      this.#resultText.push(result.text);
      this.#resultBytes.push(null);
      this.resultBytes += result.text.length;
    }
  }

  values(): unknown[] {
    return [
      this.#partition,
      this.#task,
      this.#status,
      this.#runId,
      this.#attempts,
      this.#startedAt,
      this.#finishedAt,
      this.#duration,
      this.#version,
      this.#error,
      this.#resultKind,
      this.#resultText,
      this.#resultBytes,
    ];
  }
}

/** The last item for each key, in the order keys first appeared. */
function latest<T>(items: readonly T[], key: (item: T) => string): T[] {
  if (items.length <= 1) return [...items];
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return byKey.size === items.length ? [...items] : [...byKey.values()];
}

/** A persistent store never gets live values from the scheduler; encode one if it does. */
function storable(write: TaskStateWrite): EncodedValue {
  const result = write.result as NonNullable<TaskStateWrite["result"]>;
  if (result.kind !== "live") return result;
  return encodeValue(result.value, `result of task "${write.task}"`, write.task);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An error as the store keeps it: JSON text, or NULL. */
export function errorText(error: SerializedError | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error);
}
