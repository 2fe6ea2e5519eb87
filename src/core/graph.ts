import { CycleError, UnknownDependencyError } from "./errors.js";

/**
 * A workflow's DAG in flat arrays (compressed adjacency lists), so the scheduler walks it
 * in O(tasks + edges) with no per-task scans of the whole graph.
 */
export interface CompiledGraph {
  readonly size: number;
  /** Dependencies of task i: deps[depStart[i] .. depStart[i + 1]). */
  readonly depStart: Int32Array;
  readonly deps: Int32Array;
  /** Dependents of task i: dependents[dependentStart[i] .. dependentStart[i + 1]). */
  readonly dependentStart: Int32Array;
  readonly dependents: Int32Array;
}

/** Each task's dependency names, flat: task i's are `names[start[i] .. start[i + 1])`. */
export interface DeclaredDependencies {
  readonly start: readonly number[];
  readonly names: readonly string[];
}

/**
 * Builds the graph from each task's declared dependency names, checking that every name
 * exists and that there is no cycle (spelled out in run order when there is).
 */
export function compileGraph(
  workflow: string,
  names: readonly string[],
  index: ReadonlyMap<string, number>,
  declared: DeclaredDependencies,
): CompiledGraph {
  const size = names.length;
  const edges = declared.names.length;
  const depStart = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) depStart[i] = declared.start[i] as number;
  depStart[size] = edges;
  const deps = new Int32Array(edges);
  const dependentCount = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) {
    for (let e = depStart[i] as number; e < (depStart[i + 1] as number); e++) {
      const name = declared.names[e] as string;
      const d = index.get(name);
      if (d === undefined) throw new UnknownDependencyError(workflow, names[i] as string, name);
      deps[e] = d;
      (dependentCount[d] as number)++;
    }
  }
  const dependentStart = new Int32Array(size + 1);
  for (let i = 0, sum = 0; i <= size; i++) {
    dependentStart[i] = sum;
    sum += dependentCount[i] as number;
  }
  const fill = dependentStart.slice(0, size);
  const dependents = new Int32Array(edges);
  for (let i = 0; i < size; i++) {
    for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
      const d = deps[k] as number;
      dependents[(fill[d] as number)++] = i;
    }
  }
  const graph = { size, depStart, deps, dependentStart, dependents };
  checkAcyclic(workflow, names, graph);
  return graph;
}

/** Kahn's algorithm; on a cycle, walks the leftover tasks to spell one out. */
function checkAcyclic(workflow: string, names: readonly string[], graph: CompiledGraph): void {
  const { size, depStart, deps, dependentStart, dependents } = graph;
  const waiting = new Int32Array(size);
  const stack = new Int32Array(size);
  let top = 0;
  for (let i = 0; i < size; i++) {
    waiting[i] = (depStart[i + 1] as number) - (depStart[i] as number);
    if (waiting[i] === 0) stack[top++] = i;
  }
  let done = 0;
  while (top > 0) {
    const i = stack[--top] as number;
    done++;
    for (let k = dependentStart[i] as number; k < (dependentStart[i + 1] as number); k++) {
      const j = dependents[k] as number;
      if (--(waiting[j] as number) === 0) stack[top++] = j;
    }
  }
  if (done === size) return;
  // Every leftover task waits on another leftover task: follow those dependencies back
  // from the first leftover until a task repeats.
  let current = 0;
  while (waiting[current] === 0) current++;
  const seenAt = new Map<number, number>();
  const path: number[] = [];
  while (!seenAt.has(current)) {
    seenAt.set(current, path.length);
    path.push(current);
    let next = -1;
    for (let k = depStart[current] as number; k < (depStart[current + 1] as number); k++) {
      if ((waiting[deps[k] as number] as number) > 0) {
        next = deps[k] as number;
        break;
      }
    }
    current = next;
  }
  const loop = path.slice(seenAt.get(current)).reverse();
  // Start the cycle at the task added first, so the message is stable.
  const first = loop.indexOf(Math.min(...loop));
  const cycle = [...loop.slice(first), ...loop.slice(0, first)].map((i) => names[i] as string);
  cycle.push(cycle[0] as string);
  throw new CycleError(workflow, cycle);
}

/** Kahn's order over a compiled (so acyclic) graph. */
export function topologicalOrder(graph: CompiledGraph): Int32Array {
  const { size, depStart, dependentStart, dependents } = graph;
  const waiting = new Int32Array(size);
  const order = new Int32Array(size);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < size; i++) {
    waiting[i] = (depStart[i + 1] as number) - (depStart[i] as number);
    if (waiting[i] === 0) order[tail++] = i;
  }
  while (head < tail) {
    const i = order[head++] as number;
    for (let k = dependentStart[i] as number; k < (dependentStart[i + 1] as number); k++) {
      const j = dependents[k] as number;
      if (--(waiting[j] as number) === 0) order[tail++] = j;
    }
  }
  return order;
}
