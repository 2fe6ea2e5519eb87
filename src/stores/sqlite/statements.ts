import {
  ATTEMPT_COLUMNS,
  type Row,
  RUN_COLUMNS,
  STATE_COLUMNS,
  toAttempt,
  toRun,
  toState,
} from "../shared/records.js";
import type { AttemptRecord, RunRecord, StoreBatch, StoredTaskState } from "../store.js";
import type { Database, Statement } from "./driver.js";
import { ResultReader } from "./results.js";
import { BatchWriter } from "./writer.js";

const PARTITION = "(SELECT id FROM partitions WHERE workflow = ? AND run_key = ?)";

/**
 * The store's SQL, prepared once per connection: commits through {@link BatchWriter},
 * results through {@link ResultReader}, and the queries and clearing here. Rows are read
 * as arrays (`raw`), the cheapest path through better-sqlite3.
 */
export class Statements {
  readonly #db: Database;
  readonly #writer: BatchWriter;
  readonly #results: ResultReader;
  readonly #selectStates: Statement;
  readonly #selectWorkflowStates: Statement;
  readonly #selectPartitionStates: Statement;
  readonly #selectAttempts: Statement;
  readonly #selectWorkflows: Statement;
  readonly #selectRuns = new Map<string, Statement>();
  readonly #clearOne: (workflow: string) => void;
  readonly #clearAll: () => void;

  constructor(db: Database, location: string) {
    this.#db = db;
    this.#writer = new BatchWriter(db);
    this.#results = new ResultReader(db, location);
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
    this.#selectAttempts = db
      .prepare(
        `SELECT ${ATTEMPT_COLUMNS}
         FROM runs r JOIN attempts a ON a.run = r.seq
         WHERE r.run_id = ? ORDER BY a.started_at, a.attempt, a.task`,
      )
      .raw();
    this.#selectWorkflows = db
      .prepare(
        "SELECT workflow FROM partitions UNION SELECT workflow FROM runs WHERE status IS NOT NULL",
      )
      .pluck();
    // Deleting a state deletes its result chunks too (a trigger of the schema).
    const clearOne = [
      "DELETE FROM task_states WHERE partition IN (SELECT id FROM partitions WHERE workflow = ?)",
      "DELETE FROM partitions WHERE workflow = ?",
      "DELETE FROM attempts WHERE run IN (SELECT seq FROM runs WHERE workflow = ?)",
      "DELETE FROM runs WHERE workflow = ?",
    ].map((sql) => db.prepare(sql));
    this.#clearOne = db.transaction((workflow: string) => {
      for (const statement of clearOne) statement.run(workflow);
    }).immediate;
    const clearAll = ["result_chunks", "task_states", "partitions", "attempts", "runs"].map(
      (table) => db.prepare(`DELETE FROM ${table}`),
    );
    this.#clearAll = db.transaction(() => {
      for (const statement of clearAll) statement.run();
    }).immediate;
  }

  /** Writes a batch as one atomic commit; true when it is large (see {@link BatchWriter}). */
  commit(batch: StoreBatch): boolean {
    return this.#writer.commit(batch);
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
    return this.#results.read(workflow, runKey, task);
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
