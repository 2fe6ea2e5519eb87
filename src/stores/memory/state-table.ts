import type { SerializedError } from "../../core/errors.js";
import type { EncodedValue } from "../../core/serialization.js";
import type { StoredTaskState, StoredTaskStatus, TaskStateWrite } from "../store.js";
import { fromColumn, toColumn, withRoom } from "./columns.js";

const STATUSES: readonly StoredTaskStatus[] = [
  "PENDING",
  "RUNNING",
  "COMPLETED",
  "FAILED",
  "SKIPPED",
];
const STATUS_CODE = new Map(STATUSES.map((status, code) => [status, code]));

const NO_RESULT = 0;
const LIVE = 1;
const ENCODED = 2;

/** What a row's result column holds: nothing, a value as it was, or an encoded value. */
export type StoredResult =
  | { readonly kind: "none" }
  | { readonly kind: "live"; readonly value: unknown }
  | { readonly kind: "encoded"; readonly value: EncodedValue };

/**
 * The states of one partition's tasks (workflow + run key), column by column. Writes are
 * appended: a commit copies each write's fields into the next row and looks nothing up,
 * so the write itself (and its `{ kind: "live" }` wrapper) is garbage as soon as the
 * commit returns. Reads, which are rare (the start of a run, a restored result), fold
 * the rows appended since the last read into an index of each task's latest row, and
 * drop superseded rows once they outnumber the live ones, so memory stays proportional
 * to the number of tasks.
 */
export class StateTable {
  readonly workflow: string;
  readonly runKey: string;
  /** Each task's latest row, as of row `#indexed`. */
  #latest = new Map<string, number>();
  #indexed = 0;
  #rows = 0;
  #task: string[] = [];
  #runId: string[] = [];
  #version: (string | undefined)[] = [];
  #error: (SerializedError | undefined)[] = [];
  #result: unknown[] = [];
  #status = new Uint8Array(0);
  #resultKind = new Uint8Array(0);
  #attempts = new Int32Array(0);
  #startedAt = new Float64Array(0);
  #finishedAt = new Float64Array(0);
  #duration = new Float64Array(0);

  constructor(workflow: string, runKey: string) {
    this.workflow = workflow;
    this.runKey = runKey;
  }

  /** How many tasks have a state here. */
  get size(): number {
    return this.#index().size;
  }

  /** Records the task's new state; it replaces any earlier one. */
  write(write: TaskStateWrite): void {
    const row = this.#rows++;
    if (row >= this.#status.length) this.#grow(row + 1);
    this.#task[row] = write.task;
    this.#runId[row] = write.runId;
    this.#version[row] = write.version;
    this.#error[row] = write.error;
    this.#status[row] = STATUS_CODE.get(write.status) ?? 0;
    this.#attempts[row] = write.attempts;
    this.#startedAt[row] = toColumn(write.startedAt);
    this.#finishedAt[row] = toColumn(write.finishedAt);
    this.#duration[row] = toColumn(write.duration);
    const result = write.result;
    if (result === undefined) {
      this.#resultKind[row] = NO_RESULT;
      this.#result[row] = undefined;
    } else if (result.kind === "live") {
      this.#resultKind[row] = LIVE;
      this.#result[row] = result.value;
    } else {
      this.#resultKind[row] = ENCODED;
      this.#result[row] = result;
    }
  }

  /** The task's state, or undefined when it has none here. */
  state(task: string): StoredTaskState | undefined {
    const row = this.#index().get(task);
    return row === undefined ? undefined : this.#stateAt(row);
  }

  /** Every task's state, in the order the tasks were first written. */
  states(): StoredTaskState[] {
    return Array.from(this.#index().values(), (row) => this.#stateAt(row));
  }

  result(task: string): StoredResult {
    const row = this.#index().get(task);
    const kind = row === undefined ? NO_RESULT : this.#resultKind[row];
    if (row === undefined || kind === NO_RESULT) return { kind: "none" };
    if (kind === LIVE) return { kind: "live", value: this.#result[row] };
    return { kind: "encoded", value: this.#result[row] as EncodedValue };
  }

  /** The latest row of each task, folding in rows appended since the last read. */
  #index(): Map<string, number> {
    const latest = this.#latest;
    for (let row = this.#indexed; row < this.#rows; row++)
      latest.set(this.#task[row] as string, row);
    this.#indexed = this.#rows;
    if (this.#rows > 2 * latest.size + 1024) this.#compact();
    return latest;
  }

  /** Keeps only each task's latest row (in first-write order, as the index lists them). */
  #compact(): void {
    const keep = [...this.#latest.values()];
    const pick = <T>(column: T[]): T[] => keep.map((row) => column[row] as T);
    this.#task = pick(this.#task);
    this.#runId = pick(this.#runId);
    this.#version = pick(this.#version);
    this.#error = pick(this.#error);
    this.#result = pick(this.#result);
    const rows = Int32Array.from(keep);
    const take = <C extends Uint8Array | Int32Array | Float64Array>(column: C): C => {
      const kept = new (column.constructor as new (length: number) => C)(keep.length);
      for (let i = 0; i < rows.length; i++) kept[i] = column[rows[i] as number] as number;
      return kept;
    };
    this.#status = take(this.#status);
    this.#resultKind = take(this.#resultKind);
    this.#attempts = take(this.#attempts);
    this.#startedAt = take(this.#startedAt);
    this.#finishedAt = take(this.#finishedAt);
    this.#duration = take(this.#duration);
    this.#rows = keep.length;
    this.#indexed = keep.length;
    this.#latest = new Map(keep.map((_, row) => [this.#task[row] as string, row]));
  }

  #stateAt(row: number): StoredTaskState {
    return {
      workflow: this.workflow,
      runKey: this.runKey,
      task: this.#task[row] as string,
      status: STATUSES[this.#status[row] as number] as StoredTaskStatus,
      runId: this.#runId[row] as string,
      attempts: this.#attempts[row] as number,
      startedAt: fromColumn(this.#startedAt[row]),
      finishedAt: fromColumn(this.#finishedAt[row]),
      duration: fromColumn(this.#duration[row]),
      version: this.#version[row],
      error: this.#error[row],
      hasResult: this.#resultKind[row] !== NO_RESULT,
    };
  }

  #grow(rows: number): void {
    if (rows <= this.#status.length) return;
    this.#status = withRoom(this.#status, rows);
    this.#resultKind = withRoom(this.#resultKind, rows);
    this.#attempts = withRoom(this.#attempts, rows);
    this.#startedAt = withRoom(this.#startedAt, rows);
    this.#finishedAt = withRoom(this.#finishedAt, rows);
    this.#duration = withRoom(this.#duration, rows);
  }
}
