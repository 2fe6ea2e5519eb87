import type { SerializedError } from "../../core/errors.js";
import type { AttemptRecord, AttemptStatus } from "../store.js";
import { fromColumn, toColumn, withRoom } from "./columns.js";

const STATUSES: readonly AttemptStatus[] = ["RUNNING", "COMPLETED", "FAILED"];
const STATUS_CODE = new Map(STATUSES.map((status, code) => [status, code]));

/**
 * The attempts of one run, appended as they are written (a RUNNING record, then the same
 * attempt's outcome), column by column. Reading keeps the latest record of each attempt.
 */
export class AttemptLog {
  readonly runId: string;
  readonly #workflow: string[] = [];
  readonly #task: string[] = [];
  readonly #error: (SerializedError | undefined)[] = [];
  #attempt = new Int32Array(0);
  #status = new Uint8Array(0);
  #startedAt = new Float64Array(0);
  #finishedAt = new Float64Array(0);

  constructor(runId: string) {
    this.runId = runId;
  }

  append(record: AttemptRecord): void {
    const row = this.#task.length;
    if (row >= this.#attempt.length) {
      this.#attempt = withRoom(this.#attempt, row + 1);
      this.#status = withRoom(this.#status, row + 1);
      this.#startedAt = withRoom(this.#startedAt, row + 1);
      this.#finishedAt = withRoom(this.#finishedAt, row + 1);
    }
    this.#workflow.push(record.workflow);
    this.#task.push(record.task);
    this.#error.push(record.error);
    this.#attempt[row] = record.attempt;
    this.#status[row] = STATUS_CODE.get(record.status) ?? 0;
    this.#startedAt[row] = toColumn(record.startedAt);
    this.#finishedAt[row] = toColumn(record.finishedAt);
  }

  /** The latest record of each attempt, by start time (attempt number breaks ties). */
  records(): AttemptRecord[] {
    const latest = new Map<string, number>();
    for (let row = 0; row < this.#task.length; row++) {
      latest.set(`${this.#task[row]}\u0000${this.#attempt[row]}`, row);
    }
    const records = Array.from(latest.values(), (row) => this.#recordAt(row));
    return records.sort((a, b) => a.startedAt - b.startedAt || a.attempt - b.attempt);
  }

  #recordAt(row: number): AttemptRecord {
    return {
      runId: this.runId,
      workflow: this.#workflow[row] as string,
      task: this.#task[row] as string,
      attempt: this.#attempt[row] as number,
      status: STATUSES[this.#status[row] as number] as AttemptStatus,
      startedAt: this.#startedAt[row] as number,
      finishedAt: fromColumn(this.#finishedAt[row]),
      error: this.#error[row],
    };
  }
}
