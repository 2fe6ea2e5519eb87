import type { CompiledGraph } from "./graph.js";
import { ReadyQueue } from "./ready-queue.js";

// Per-task state codes in the flat arrays.
export const PENDING = 0;
export const RUNNING = 1;
export const COMPLETED = 2;
export const FAILED = 3;
export const SKIPPED = 4;

/** What the DAG walk tells the run about as tasks settle. */
export interface SettleListener {
  /** Task j will not run: a dependency failed or was skipped. Its code is already SKIPPED. */
  skipped(j: number): void;
  /** Completed task d has no dependent left to finish: its result may leave memory. */
  unneeded(d: number): void;
}

/**
 * The bookkeeping of one run's DAG walk: a state code and counters per task, and the
 * queue of ready tasks (lowest insertion index first). It knows nothing of attempts,
 * stores or events; the run drives it. Every operation is O(degree), so a whole run is
 * O(tasks + edges).
 */
export class DagState {
  readonly ready: ReadyQueue;
  readonly state: Uint8Array;
  /** Tasks in a final state (completed, failed or skipped). */
  finished = 0;
  readonly #graph: CompiledGraph;
  /** Dependencies not yet finished, per task. */
  readonly #waiting: Int32Array;
  /** Dependencies that failed or were skipped, per task. */
  readonly #broken: Int32Array;
  /** Dependents not yet finished, per task. */
  readonly #openDependents: Int32Array;

  constructor(graph: CompiledGraph) {
    const { size, depStart, dependentStart } = graph;
    this.#graph = graph;
    this.ready = new ReadyQueue(Math.min(size, 1024));
    this.state = new Uint8Array(size);
    this.#waiting = new Int32Array(size);
    this.#broken = new Int32Array(size);
    this.#openDependents = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      this.#waiting[i] = (depStart[i + 1] as number) - (depStart[i] as number);
      this.#openDependents[i] = (dependentStart[i + 1] as number) - (dependentStart[i] as number);
    }
  }

  get size(): number {
    return this.#graph.size;
  }

  get allFinished(): boolean {
    return this.finished === this.#graph.size;
  }

  /** Whether every dependency of task i completed. */
  dependenciesCompleted(i: number): boolean {
    const { depStart, deps } = this.#graph;
    for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
      if (this.state[deps[k] as number] !== COMPLETED) return false;
    }
    return true;
  }

  /** Marks task i completed without running it (its stored completion was restored). */
  restore(i: number): void {
    this.state[i] = COMPLETED;
    this.finished++;
    const { dependentStart, dependents } = this.#graph;
    for (let k = dependentStart[i] as number; k < (dependentStart[i + 1] as number); k++) {
      (this.#waiting[dependents[k] as number] as number)--;
    }
  }

  /** Queues every pending task whose dependencies all finished (at the start of a run). */
  queueReady(): void {
    for (let i = 0; i < this.#graph.size; i++) {
      if (this.state[i] === PENDING && this.#waiting[i] === 0) this.ready.push(i);
    }
  }

  /**
   * Task i reached a final state (its code already set): its dependents become ready, or
   * are skipped under the all-success rule (the only trigger rule so far, so it lives
   * here), transitively. While `queueing` is false (the run is stopping) nothing is queued.
   */
  settle(i: number, queueing: boolean, listener: SettleListener): void {
    const { depStart, deps, dependentStart, dependents } = this.#graph;
    const stack = [i];
    while (stack.length > 0) {
      const t = stack.pop() as number;
      this.finished++;
      const ok = this.state[t] === COMPLETED;
      for (let k = depStart[t] as number; k < (depStart[t + 1] as number); k++) {
        const d = deps[k] as number;
        if (--(this.#openDependents[d] as number) === 0 && this.state[d] === COMPLETED) {
          listener.unneeded(d);
        }
      }
      if (ok && this.#openDependents[t] === 0) listener.unneeded(t);
      for (let k = dependentStart[t] as number; k < (dependentStart[t + 1] as number); k++) {
        const j = dependents[k] as number;
        (this.#waiting[j] as number)--;
        if (!ok) (this.#broken[j] as number)++;
        if (this.state[j] !== PENDING) continue;
        if ((this.#broken[j] as number) > 0) {
          this.state[j] = SKIPPED;
          listener.skipped(j);
          stack.push(j);
        } else if (this.#waiting[j] === 0 && queueing) {
          this.ready.push(j);
        }
      }
    }
  }

  /** The run stopped: every task not started yet is skipped (and counts as finished). */
  skipPending(listener: SettleListener): void {
    this.ready.clear();
    for (let i = 0; i < this.#graph.size; i++) {
      if (this.state[i] !== PENDING) continue;
      this.state[i] = SKIPPED;
      this.finished++;
      listener.skipped(i);
    }
  }
}
