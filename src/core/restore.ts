import type { StateStore, StoredTaskState } from "../stores/store.js";
import { COMPLETED, type DagState } from "./dag-state.js";
import { type CompiledGraph, topologicalOrder } from "./graph.js";
import { type AnyTask, TaskStatus } from "./task.js";

/** Where one run reads stored results back from. */
export interface ResultSource {
  readonly store: StateStore;
  readonly workflow: string;
  readonly runKey: string;
}

/**
 * Reads task `name`'s stored result back on demand, for stores that can read
 * synchronously; undefined for those that cannot.
 */
export function resultLoader(source: ResultSource, name: string): (() => unknown) | undefined {
  const { store, workflow, runKey } = source;
  const read = store.readResultSync;
  if (!read) return undefined;
  return () => read.call(store, workflow, runKey, name);
}

/**
 * Marks stored completions as done, unless stale (another version) or downstream of a
 * stale one; returns the stored state of each task it restored, by index.
 */
export function restoreCompleted(
  nodes: readonly AnyTask[],
  graph: CompiledGraph,
  dag: DagState,
  stored: Map<string, StoredTaskState>,
  source: ResultSource,
): (StoredTaskState | undefined)[] {
  for (const node of nodes) node._reset();
  const restored = new Array<StoredTaskState | undefined>(graph.size);
  if (stored.size > 0) {
    for (const i of topologicalOrder(graph)) {
      const node = nodes[i] as AnyTask;
      const record = stored.get(node.name);
      if (record?.status !== "COMPLETED") continue;
      if (record.version !== node.definition.options.version) continue;
      if (!dag.dependenciesCompleted(i)) continue;
      restored[i] = record;
      dag.restore(i);
      const st = node._state;
      st.status = TaskStatus.COMPLETED;
      st.restored = true;
      st.attempts = record.attempts;
      st.duration = record.duration;
      st.startedAtMs = record.startedAt;
      st.finishedAtMs = record.finishedAt;
      st.loadResult = resultLoader(source, node.name);
    }
  }
  dag.queueReady();
  return restored;
}

/**
 * A store that cannot read synchronously (PostgreSQL) cannot answer `task.result` of a
 * restored task on demand, so those results are read now and kept in memory like fresh
 * ones. Stores that can read synchronously are read lazily, when a dependent needs one.
 */
export async function loadRestoredResults(
  nodes: readonly AnyTask[],
  dag: DagState,
  restored: readonly (StoredTaskState | undefined)[],
  source: ResultSource,
): Promise<void> {
  const { store, workflow, runKey } = source;
  if (!store.persistent || store.readResultSync) return;
  const loads: Promise<void>[] = [];
  for (let i = 0; i < restored.length; i++) {
    if (!restored[i]?.hasResult || dag.state[i] !== COMPLETED) continue;
    const node = nodes[i] as AnyTask;
    loads.push(
      store.loadResult(workflow, runKey, node.name).then((value) => {
        node._state.result = value;
        node._state.hasResult = true;
      }),
    );
  }
  await Promise.all(loads);
}
