import type { EncodedValue } from "../../core/serialization.js";
import {
  ATTEMPT_COLUMNS,
  type Row,
  RUN_COLUMNS,
  STATE_COLUMNS,
  toAttempt,
  toRun,
  toState,
} from "../shared/records.js";
import type { AttemptRecord, RunRecord, StoredTaskState } from "../store.js";
import type { Queryable } from "./driver.js";

/**
 * The store's reads and clears, as prepared statements (named, so each connection parses
 * them once). Rows come back as arrays, the cheapest form node-postgres offers: a resume
 * may load a hundred thousand states.
 */
export class Queries {
  readonly #s: string;
  readonly #prefix: string;
  readonly #loadStates: string;
  readonly #partitionStates: string;
  readonly #workflowStates: string;
  readonly #results: string;
  readonly #attempts: string;
  readonly #workflows: string;

  /**
   * `s` is the quoted schema name; `prefix` makes the statement names unique to it, as
   * prepared statements live on the connection.
   */
  constructor(s: string, prefix: string) {
    this.#s = s;
    this.#prefix = prefix;
    const partition = `s.partition = (SELECT id FROM ${s}.partitions WHERE workflow = $1 AND run_key = $2)`;
    this.#loadStates = `SELECT ${STATE_COLUMNS} FROM ${s}.task_states s WHERE ${partition}`;
    this.#partitionStates = `${this.#loadStates} ORDER BY s.seq`;
    this.#workflowStates = `SELECT p.run_key, ${STATE_COLUMNS}
      FROM ${s}.partitions p JOIN ${s}.task_states s ON s.partition = p.id
      WHERE p.workflow = $1 ORDER BY p.run_key, s.seq`;
    this.#results = `SELECT s.task, s.result_kind, s.result_text, s.result_bytes
      FROM ${s}.task_states s WHERE ${partition} AND s.task = ANY($3::text[]) AND s.result_kind IS NOT NULL`;
    this.#attempts = `SELECT ${ATTEMPT_COLUMNS}
      FROM ${s}.runs r JOIN ${s}.attempts a ON a.run = r.seq
      WHERE r.run_id = $1 ORDER BY a.started_at, a.attempt, a.task`;
    this.#workflows = `SELECT workflow FROM ${s}.partitions
      UNION SELECT workflow FROM ${s}.runs WHERE status IS NOT NULL`;
  }

  async loadTaskStates(
    db: Queryable,
    workflow: string,
    runKey: string,
  ): Promise<Map<string, StoredTaskState>> {
    const rows = await this.#rows(db, "load_states", this.#loadStates, [workflow, runKey]);
    const states = new Map<string, StoredTaskState>();
    for (const row of rows) states.set(row[0] as string, toState(workflow, runKey, row, 0));
    return states;
  }

  async listTaskStates(
    db: Queryable,
    workflow: string,
    runKey: string | undefined,
  ): Promise<StoredTaskState[]> {
    if (runKey !== undefined) {
      const rows = await this.#rows(db, "partition_states", this.#partitionStates, [
        workflow,
        runKey,
      ]);
      return rows.map((row) => toState(workflow, runKey, row, 0));
    }
    const rows = await this.#rows(db, "workflow_states", this.#workflowStates, [workflow]);
    return rows.map((row) => toState(workflow, row[0] as string, row, 1));
  }

  /** The stored results of `tasks` (those that have one) in one partition. */
  async loadResults(
    db: Queryable,
    workflow: string,
    runKey: string,
    tasks: readonly string[],
  ): Promise<Map<string, EncodedValue>> {
    const rows = await this.#rows(db, "results", this.#results, [workflow, runKey, tasks]);
    const results = new Map<string, EncodedValue>();
    for (const [task, kind, text, bytes] of rows) {
      results.set(
        task as string,
        kind === "buffer"
          ? { kind, bytes: bytes as Buffer }
          : { kind: kind as "json" | "superjson", text: text as string },
      );
    }
    return results;
  }

  async listRuns(
    db: Queryable,
    workflow: string | undefined,
    runId: string | undefined,
    limit: number,
  ): Promise<RunRecord[]> {
    const filters = ["status IS NOT NULL"];
    const values: unknown[] = [];
    if (workflow !== undefined) {
      values.push(workflow);
      filters.push(`workflow = $${values.length}`);
    }
    if (runId !== undefined) {
      values.push(runId);
      filters.push(`run_id = $${values.length}`);
    }
    values.push(limit);
    const text = `SELECT ${RUN_COLUMNS} FROM ${this.#s}.runs WHERE ${filters.join(" AND ")}
      ORDER BY started_at DESC, seq DESC LIMIT $${values.length}`;
    const name = `runs_${workflow === undefined ? "" : "w"}${runId === undefined ? "" : "r"}`;
    return (await this.#rows(db, name, text, values)).map(toRun);
  }

  async listAttempts(db: Queryable, runId: string): Promise<AttemptRecord[]> {
    return (await this.#rows(db, "attempts", this.#attempts, [runId])).map(toAttempt);
  }

  async listWorkflows(db: Queryable): Promise<string[]> {
    const rows = await this.#rows(db, "workflows", this.#workflows, []);
    return rows.map((row) => row[0] as string).sort();
  }

  /** Deletes one workflow's states and history, or everyone's; run inside a transaction. */
  async clear(db: Queryable, workflow: string | undefined): Promise<void> {
    const s = this.#s;
    if (workflow === undefined) {
      await db.query(
        `DELETE FROM ${s}.task_states; DELETE FROM ${s}.partitions; DELETE FROM ${s}.attempts; DELETE FROM ${s}.runs; DELETE FROM ${s}.payloads`,
      );
      return;
    }
    await db.query(
      `DELETE FROM ${s}.task_states WHERE partition IN (SELECT id FROM ${s}.partitions WHERE workflow = $1)`,
      [workflow],
    );
    await db.query(`DELETE FROM ${s}.partitions WHERE workflow = $1`, [workflow]);
    await db.query(
      `DELETE FROM ${s}.attempts WHERE run IN (SELECT seq FROM ${s}.runs WHERE workflow = $1)`,
      [workflow],
    );
    await db.query(`DELETE FROM ${s}.runs WHERE workflow = $1`, [workflow]);
    await db.query(`DELETE FROM ${s}.payloads WHERE workflow = $1`, [workflow]);
  }

  async #rows(db: Queryable, name: string, text: string, values: unknown[]): Promise<Row[]> {
    const result = await db.query({
      name: `${this.#prefix}${name}`,
      text,
      values,
      rowMode: "array",
    });
    return result.rows as Row[];
  }
}
