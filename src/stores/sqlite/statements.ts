import type { SerializedError } from "../../core/errors.js";
import { decodeValue, type EncodedValue, encodeValue } from "../../core/serialization.js";
import type {
  AttemptRecord,
  AttemptStatus,
  RunRecord,
  RunStatus,
  StoreBatch,
  StoredTaskState,
  StoredTaskStatus,
  TaskStateWrite,
} from "../store.js";
import type { Database, Statement } from "./driver.js";

const STATE_COLUMNS =
  "s.task, s.status, s.run_id, s.attempts, s.started_at, s.finished_at, s.duration, s.version, s.error, s.result_kind IS NOT NULL";
const PARTITION = "(SELECT id FROM partitions WHERE workflow = ? AND run_key = ?)";
const RUN_COLUMNS = "run_id, workflow, run_key, status, started_at, finished_at, error";

type Row = unknown[];

/**
 * The store's SQL, prepared once per connection. Rows are read as arrays (`raw`) and
 * written with positional parameters, the cheapest path through better-sqlite3: one
 * commit may carry a hundred thousand rows. Partitions and runs are looked up once per
 * batch (not per row, and not cached across batches, so another process clearing state
 * can never leave this one writing to a stale id).
 */
export class Statements {
  readonly #db: Database;
  readonly #upsertState: Statement;
  readonly #upsertRun: Statement;
  readonly #upsertAttempt: Statement;
  readonly #partitionId: Statement;
  readonly #insertPartition: Statement;
  readonly #runSeq: Statement;
  readonly #insertUnlistedRun: Statement;
  readonly #selectStates: Statement;
  readonly #selectWorkflowStates: Statement;
  readonly #selectPartitionStates: Statement;
  readonly #selectResult: Statement;
  readonly #selectAttempts: Statement;
  readonly #selectWorkflows: Statement;
  readonly #selectRuns = new Map<string, Statement>();
  readonly #commit: (batch: StoreBatch) => void;
  readonly #clearOne: (workflow: string) => void;
  readonly #clearAll: () => void;

  constructor(db: Database) {
    this.#db = db;
    this.#upsertState = db.prepare(
      `INSERT INTO task_states (partition, task, status, run_id, attempts, started_at, finished_at, duration, version, error, result_kind, result)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (partition, task) DO UPDATE SET
         status = excluded.status, run_id = excluded.run_id, attempts = excluded.attempts,
         started_at = excluded.started_at, finished_at = excluded.finished_at,
         duration = excluded.duration, version = excluded.version, error = excluded.error,
         result_kind = excluded.result_kind, result = excluded.result`,
    );
    this.#upsertRun = db.prepare(
      `INSERT INTO runs (run_id, workflow, run_key, status, started_at, finished_at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET
         workflow = excluded.workflow, run_key = excluded.run_key, status = excluded.status,
         started_at = excluded.started_at, finished_at = excluded.finished_at, error = excluded.error`,
    );
    this.#upsertAttempt = db.prepare(
      `INSERT INTO attempts (run, task, attempt, status, started_at, finished_at, error)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run, task, attempt) DO UPDATE SET
         status = excluded.status, started_at = excluded.started_at,
         finished_at = excluded.finished_at, error = excluded.error`,
    );
    this.#partitionId = db
      .prepare("SELECT id FROM partitions WHERE workflow = ? AND run_key = ?")
      .pluck();
    this.#insertPartition = db.prepare("INSERT INTO partitions (workflow, run_key) VALUES (?, ?)");
    this.#runSeq = db.prepare("SELECT seq FROM runs WHERE run_id = ?").pluck();
    this.#insertUnlistedRun = db.prepare(
      "INSERT INTO runs (run_id, workflow, run_key, status, started_at) VALUES (?, ?, '', NULL, ?)",
    );
    this.#selectStates = db
      .prepare(`SELECT ${STATE_COLUMNS} FROM task_states s WHERE s.partition = ${PARTITION}`)
      .raw();
    this.#selectWorkflowStates = db
      .prepare(
        `SELECT p.run_key, ${STATE_COLUMNS} FROM partitions p JOIN task_states s ON s.partition = p.id
         WHERE p.workflow = ? ORDER BY p.run_key, s.rowid`,
      )
      .raw();
    this.#selectPartitionStates = db
      .prepare(
        `SELECT ${STATE_COLUMNS} FROM task_states s WHERE s.partition = ${PARTITION} ORDER BY s.rowid`,
      )
      .raw();
    this.#selectResult = db
      .prepare(
        `SELECT result_kind, result FROM task_states WHERE partition = ${PARTITION} AND task = ?`,
      )
      .raw();
    this.#selectAttempts = db
      .prepare(
        `SELECT r.run_id, r.workflow, a.task, a.attempt, a.status, a.started_at, a.finished_at, a.error
         FROM runs r JOIN attempts a ON a.run = r.seq
         WHERE r.run_id = ? ORDER BY a.started_at, a.attempt, a.task`,
      )
      .raw();
    this.#selectWorkflows = db
      .prepare(
        "SELECT workflow FROM partitions UNION SELECT workflow FROM runs WHERE status IS NOT NULL",
      )
      .pluck();
    this.#commit = db.transaction((batch: StoreBatch) => this.#write(batch)).immediate;
    const clearOne = [
      "DELETE FROM task_states WHERE partition IN (SELECT id FROM partitions WHERE workflow = ?)",
      "DELETE FROM partitions WHERE workflow = ?",
      "DELETE FROM attempts WHERE run IN (SELECT seq FROM runs WHERE workflow = ?)",
      "DELETE FROM runs WHERE workflow = ?",
    ].map((sql) => db.prepare(sql));
    this.#clearOne = db.transaction((workflow: string) => {
      for (const statement of clearOne) statement.run(workflow);
    }).immediate;
    const clearAll = ["task_states", "partitions", "attempts", "runs"].map((table) =>
      db.prepare(`DELETE FROM ${table}`),
    );
    this.#clearAll = db.transaction(() => {
      for (const statement of clearAll) statement.run();
    }).immediate;
  }

  /**
   * Writes a batch in one IMMEDIATE transaction (it takes the write lock up front, so a
   * read never has to be upgraded under another process's write); later rows for a key
   * replace earlier ones.
   */
  commit(batch: StoreBatch): void {
    this.#commit(batch);
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
    const states = this.#upsertState;
    let workflow: string | undefined;
    let runKey: string | undefined;
    let partition = 0;
    for (const s of batch.taskStates) {
      if (s.workflow !== workflow || s.runKey !== runKey) {
        workflow = s.workflow;
        runKey = s.runKey;
        partition = this.#partition(workflow, runKey);
      }
      const result = s.result === undefined ? undefined : storable(s);
      states.run(
        partition,
        s.task,
        s.status,
        s.runId,
        s.attempts,
        s.startedAt ?? null,
        s.finishedAt ?? null,
        s.duration ?? null,
        s.version ?? null,
        errorText(s.error),
        result === undefined ? null : result.kind,
        result === undefined
          ? null
          : result.kind === "buffer"
            ? asBuffer(result.bytes)
            : result.text,
      );
    }
    const attempts = this.#upsertAttempt;
    let runId: string | undefined;
    let run = 0;
    for (const a of batch.attempts) {
      if (a.runId !== runId) {
        runId = a.runId;
        run = this.#run(a);
      }
      attempts.run(
        run,
        a.task,
        a.attempt,
        a.status,
        a.startedAt,
        a.finishedAt ?? null,
        errorText(a.error),
      );
    }
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

  loadTaskStates(workflow: string, runKey: string): Map<string, StoredTaskState> {
    const states = new Map<string, StoredTaskState>();
    for (const row of this.#selectStates.iterate(workflow, runKey) as IterableIterator<Row>) {
      states.set(row[0] as string, toState(workflow, runKey, row, 0));
    }
    return states;
  }

  listTaskStates(workflow: string, runKey: string | undefined): StoredTaskState[] {
    if (runKey !== undefined) {
      return (this.#selectPartitionStates.all(workflow, runKey) as Row[]).map((row) =>
        toState(workflow, runKey, row, 0),
      );
    }
    return (this.#selectWorkflowStates.all(workflow) as Row[]).map((row) =>
      toState(workflow, row[0] as string, row, 1),
    );
  }

  readResult(workflow: string, runKey: string, task: string): unknown {
    const row = this.#selectResult.get(workflow, runKey, task) as Row | undefined;
    const kind = row?.[0];
    if (row === undefined || kind === null) return undefined;
    const value = row[1];
    const encoded: EncodedValue =
      kind === "buffer"
        ? { kind, bytes: value as Buffer }
        : { kind: kind as "json" | "superjson", text: value as string };
    return decodeValue(encoded);
  }

  listRuns(workflow: string | undefined, runId: string | undefined, limit: number): RunRecord[] {
    const filters = ["status IS NOT NULL"];
    if (workflow !== undefined) filters.push("workflow = @workflow");
    if (runId !== undefined) filters.push("run_id = @runId");
    const where = filters.join(" AND ");
    let statement = this.#selectRuns.get(where);
    if (!statement) {
      statement = this.#db
        .prepare(
          `SELECT ${RUN_COLUMNS} FROM runs WHERE ${where} ORDER BY started_at DESC, seq DESC LIMIT @limit`,
        )
        .raw();
      this.#selectRuns.set(where, statement);
    }
    const params: Record<string, unknown> = { limit };
    if (workflow !== undefined) params.workflow = workflow;
    if (runId !== undefined) params.runId = runId;
    return (statement.all(params) as Row[]).map(toRun);
  }

  listAttempts(runId: string): AttemptRecord[] {
    return (this.#selectAttempts.all(runId) as Row[]).map(toAttempt);
  }

  listWorkflows(): string[] {
    return (this.#selectWorkflows.all() as string[]).sort();
  }

  clear(workflow: string | undefined): void {
    if (workflow === undefined) this.#clearAll();
    else this.#clearOne(workflow);
  }
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

function errorText(error: SerializedError | undefined): string | null {
  return error === undefined ? null : JSON.stringify(error);
}

function parseError(text: unknown): SerializedError | undefined {
  return text === null ? undefined : (JSON.parse(text as string) as SerializedError);
}

function optional<T>(value: unknown): T | undefined {
  return value === null ? undefined : (value as T);
}

/** A state row, its columns starting at `at` (see STATE_COLUMNS). */
function toState(workflow: string, runKey: string, row: Row, at: number): StoredTaskState {
  return {
    workflow,
    runKey,
    task: row[at] as string,
    status: row[at + 1] as StoredTaskStatus,
    runId: row[at + 2] as string,
    attempts: row[at + 3] as number,
    startedAt: optional<number>(row[at + 4]),
    finishedAt: optional<number>(row[at + 5]),
    duration: optional<number>(row[at + 6]),
    version: optional<string>(row[at + 7]),
    error: parseError(row[at + 8]),
    hasResult: row[at + 9] === 1,
  };
}

function toRun(row: Row): RunRecord {
  return {
    runId: row[0] as string,
    workflow: row[1] as string,
    runKey: row[2] as string,
    status: row[3] as RunStatus,
    startedAt: row[4] as number,
    finishedAt: optional<number>(row[5]),
    error: parseError(row[6]),
  };
}

function toAttempt(row: Row): AttemptRecord {
  return {
    runId: row[0] as string,
    workflow: row[1] as string,
    task: row[2] as string,
    attempt: row[3] as number,
    status: row[4] as AttemptStatus,
    startedAt: row[5] as number,
    finishedAt: optional<number>(row[6]),
    error: parseError(row[7]),
  };
}
