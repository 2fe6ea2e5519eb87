import type { SerializedError } from "../../core/errors.js";
import { type EncodedValue, encodeValue } from "../../core/serialization.js";
import type { AttemptRecord, StoreBatch, TaskStateWrite } from "../store.js";
import { CHECKPOINT_PAGES } from "./connection.js";
import type { Database, Statement } from "./driver.js";
import { CHUNK_BYTES, inlineValue, resultBytes, withSmallCache } from "./results.js";

/**
 * Rows per INSERT statement. The scheduler commits one group per turn of the event loop
 * (with concurrency 8, eight states and eight attempts), so the per-statement cost of
 * better-sqlite3 and SQLite (a call into native code, binding, a VDBE program start) is
 * paid once per table and group rather than once per row.
 */
const BLOCK = 16;

/**
 * Bytes of chunked results in one commit from which it is "large": SQLite does not
 * checkpoint it inside the commit, the store checkpoints it separately (see
 * `checkpointLargeCommit`). From a few megabytes on, copying the commit into the database
 * costs far more than the syncs a checkpoint of its own adds.
 */
export const LARGE_COMMIT_BYTES = 4 * 1024 * 1024;

const STATE_FIELDS = 13;
const ATTEMPT_FIELDS = 7;

const STATE_INSERT =
  "INSERT INTO task_states (partition, task, status, run_id, attempts, started_at, finished_at, duration, version, error, result_kind, result, result_size) VALUES ";
const STATE_UPDATE = ` ON CONFLICT (partition, task) DO UPDATE SET
  status = excluded.status, run_id = excluded.run_id, attempts = excluded.attempts,
  started_at = excluded.started_at, finished_at = excluded.finished_at,
  duration = excluded.duration, version = excluded.version, error = excluded.error,
  result_kind = excluded.result_kind, result = excluded.result, result_size = excluded.result_size`;
const ATTEMPT_INSERT =
  "INSERT INTO attempts (run, task, attempt, status, started_at, finished_at, error) VALUES ";
const ATTEMPT_UPDATE = ` ON CONFLICT (run, task, attempt) DO UPDATE SET
  status = excluded.status, started_at = excluded.started_at,
  finished_at = excluded.finished_at, error = excluded.error`;

/**
 * Writes commit groups, each in one IMMEDIATE transaction (it takes the write lock up
 * front, so a read never has to be upgraded under another process's write). Rows go in
 * multi-row upserts whose parameters are filled into arrays reused from group to group;
 * a later row for a key replaces an earlier one, within a statement too. Partitions and
 * runs are looked up once per group (an indexed read inside the transaction, well under a
 * microsecond), never cached across groups, so another process clearing state cannot
 * leave this one writing to an id that no longer exists.
 */
export class BatchWriter {
  readonly #db: Database;
  readonly #upsertRun: Statement;
  readonly #partitionId: Statement;
  readonly #insertPartition: Statement;
  readonly #runSeq: Statement;
  readonly #insertUnlistedRun: Statement;
  readonly #deleteChunks: Statement;
  readonly #insertChunk: Statement;
  /** Upserts of 1 to BLOCK rows, by row count, prepared when first needed. */
  readonly #stateUpserts: Statement[] = [];
  readonly #attemptUpserts: Statement[] = [];
  readonly #stateParams: unknown[] = new Array(BLOCK * STATE_FIELDS).fill(null);
  readonly #attemptParams: unknown[] = new Array(BLOCK * ATTEMPT_FIELDS).fill(null);
  readonly #commit: (batch: StoreBatch) => void;
  /** Bytes written to `result_chunks` by the commit in progress. */
  #chunkBytes = 0;
  /** Whether the commit in progress turned SQLite's autocheckpoint off. */
  #autocheckpointOff = false;

  constructor(db: Database) {
    this.#db = db;
    this.#upsertRun = db.prepare(
      `INSERT INTO runs (run_id, workflow, run_key, status, started_at, finished_at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET
         workflow = excluded.workflow, run_key = excluded.run_key, status = excluded.status,
         started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error`,
    );
    this.#partitionId = db
      .prepare("SELECT id FROM partitions WHERE workflow = ? AND run_key = ?")
      .pluck();
    this.#insertPartition = db.prepare("INSERT INTO partitions (workflow, run_key) VALUES (?, ?)");
    this.#runSeq = db.prepare("SELECT seq FROM runs WHERE run_id = ?").pluck();
    this.#insertUnlistedRun = db.prepare(
      "INSERT INTO runs (run_id, workflow, run_key, status, started_at) VALUES (?, ?, '', NULL, ?)",
    );
    this.#deleteChunks = db.prepare("DELETE FROM result_chunks WHERE partition = ? AND task = ?");
    this.#insertChunk = db.prepare(
      "INSERT INTO result_chunks (partition, task, seq, bytes) VALUES (?, ?, ?, ?)",
    );
    this.#commit = db.transaction((batch: StoreBatch) => this.#write(batch)).immediate;
  }

  /**
   * Writes a group as one atomic commit; it is durable (per the durability setting) on
   * return. Returns true for a large commit (see {@link LARGE_COMMIT_BYTES}), which SQLite
   * left in the WAL: the caller is to checkpoint it.
   */
  commit(batch: StoreBatch): boolean {
    this.#chunkBytes = 0;
    try {
      this.#commit(batch);
      return this.#autocheckpointOff;
    } finally {
      if (this.#autocheckpointOff) {
        this.#db.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
        this.#autocheckpointOff = false;
      }
      // Let go of the group's values (strings, results up to a chunk) until the next one.
      this.#stateParams.fill(null);
      this.#attemptParams.fill(null);
    }
  }

  #write(batch: StoreBatch): void {
    const runs = this.#upsertRun;
    for (const r of batch.runs) {
      runs.run(
        r.runId,
        r.workflow,
        r.runKey,
        r.status,
        r.startedAt,
        r.finishedAt ?? null,
        errorText(r.error),
      );
    }
    if (batch.taskStates.length > 0) this.#writeStates(batch.taskStates);
    if (batch.attempts.length > 0) this.#writeAttempts(batch.attempts);
    if (this.#chunkBytes >= LARGE_COMMIT_BYTES) {
      // SQLite checks this setting when the transaction commits, just after this returns;
      // commit() sets it back.
      this.#db.pragma("wal_autocheckpoint = 0");
      this.#autocheckpointOff = true;
    }
  }

  #writeStates(states: readonly TaskStateWrite[]): void {
    const params = this.#stateParams;
    let pending = 0;
    let workflow: string | undefined;
    let runKey: string | undefined;
    let partition = 0;
    for (const s of states) {
      if (s.workflow !== workflow || s.runKey !== runKey) {
        workflow = s.workflow;
        runKey = s.runKey;
        partition = this.#partition(workflow, runKey);
      }
      let kind: string | null = null;
      let inline: string | Buffer | null = null;
      let chunked: Buffer | undefined;
      if (s.result !== undefined) {
        const result = storable(s);
        kind = result.kind;
        const value = inlineValue(result);
        if (value === undefined) chunked = resultBytes(result);
        else inline = value;
      }
      let at = pending * STATE_FIELDS;
      params[at++] = partition;
      params[at++] = s.task;
      params[at++] = s.status;
      params[at++] = s.runId;
      params[at++] = s.attempts;
      params[at++] = s.startedAt ?? null;
      params[at++] = s.finishedAt ?? null;
      params[at++] = s.duration ?? null;
      params[at++] = s.version ?? null;
      params[at++] = errorText(s.error);
      params[at++] = kind;
      params[at++] = inline;
      params[at] = chunked === undefined ? null : chunked.length;
      pending++;
      if (chunked !== undefined) {
        // The state first (replacing it drops its old chunks), then its new chunks.
        this.#flushStates(pending);
        pending = 0;
        this.#writeChunks(partition, s.task, chunked);
      } else if (pending === BLOCK) {
        this.#flushStates(pending);
        pending = 0;
      }
    }
    this.#flushStates(pending);
  }

  #flushStates(rows: number): void {
    if (rows === 0) return;
    let statement = this.#stateUpserts[rows];
    if (statement === undefined) {
      statement = this.#db.prepare(`${STATE_INSERT}${values(rows, STATE_FIELDS)}${STATE_UPDATE}`);
      this.#stateUpserts[rows] = statement;
    }
    statement.run(exactly(this.#stateParams, rows * STATE_FIELDS));
  }

  #writeChunks(partition: number, task: string, bytes: Buffer): void {
    this.#chunkBytes += bytes.length;
    this.#deleteChunks.run(partition, task);
    withSmallCache(this.#db, () => {
      for (let seq = 0, at = 0; at < bytes.length; seq++, at += CHUNK_BYTES) {
        this.#insertChunk.run(partition, task, seq, bytes.subarray(at, at + CHUNK_BYTES));
      }
    });
  }

  #writeAttempts(attempts: readonly AttemptRecord[]): void {
    const params = this.#attemptParams;
    let pending = 0;
    let runId: string | undefined;
    let run = 0;
    for (const a of attempts) {
      if (a.runId !== runId) {
        runId = a.runId;
        run = this.#run(a);
      }
      let at = pending * ATTEMPT_FIELDS;
      params[at++] = run;
      params[at++] = a.task;
      params[at++] = a.attempt;
      params[at++] = a.status;
      params[at++] = a.startedAt;
      params[at++] = a.finishedAt ?? null;
      params[at] = errorText(a.error);
      if (++pending === BLOCK) {
        this.#flushAttempts(pending);
        pending = 0;
      }
    }
    this.#flushAttempts(pending);
  }

  #flushAttempts(rows: number): void {
    if (rows === 0) return;
    let statement = this.#attemptUpserts[rows];
    if (statement === undefined) {
      statement = this.#db.prepare(
        `${ATTEMPT_INSERT}${values(rows, ATTEMPT_FIELDS)}${ATTEMPT_UPDATE}`,
      );
      this.#attemptUpserts[rows] = statement;
    }
    statement.run(exactly(this.#attemptParams, rows * ATTEMPT_FIELDS));
  }

  #partition(workflow: string, runKey: string): number {
    const id = this.#partitionId.get(workflow, runKey) as number | undefined;
    if (id !== undefined) return id;
    return Number(this.#insertPartition.run(workflow, runKey).lastInsertRowid);
  }

  /** The run's seq; an attempt may arrive before its run's record, which then fills it in. */
  #run(attempt: AttemptRecord): number {
    const seq = this.#runSeq.get(attempt.runId) as number | undefined;
    if (seq !== undefined) return seq;
    return Number(
      this.#insertUnlistedRun.run(attempt.runId, attempt.workflow, attempt.startedAt)
        .lastInsertRowid,
    );
  }
}

/** `(?, ?, …), (?, ?, …), …`: `rows` groups of `fields` parameters. */
function values(rows: number, fields: number): string {
  const row = `(${new Array(fields).fill("?").join(", ")})`;
  return new Array(rows).fill(row).join(", ");
}

/** The first `length` parameters: the array itself when full, else a copy of its start. */
function exactly(params: unknown[], length: number): unknown[] {
  return length === params.length ? params : params.slice(0, length);
}

/** A persistent store never gets live values from the scheduler; encode one if it does. */
function storable(write: TaskStateWrite): EncodedValue {
  const result = write.result as NonNullable<TaskStateWrite["result"]>;
  if (result.kind !== "live") return result;
  return encodeValue(result.value, `result of task "${write.task}"`, write.task);
}

function errorText(error: SerializedError | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error);
}
