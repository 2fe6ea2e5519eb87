import { FlowWeaverError } from "./errors.js";
import type { CompiledGraph } from "./graph.js";
import type { AnyTask } from "./task.js";

/**
 * Task i's inputs: its dependencies' results by name, from memory or (when released) read
 * back from the store. A null-prototype object (like Object.groupBy's result): it holds
 * exactly one key per dependency and inherits nothing, so a task named "constructor" or
 * "__proto__" is just a key. It is also the cheap shape: every task's inputs have their
 * own key names, and adding them to a `{}` literal would grow one hidden-class transition
 * tree per run, while giving the object Object.prototype afterwards costs a new map each
 * time.
 */
export function inputsOf(
  graph: CompiledGraph,
  nodes: readonly AnyTask[],
  i: number,
  where: { readonly storeLocation: string; readonly runId: string },
): Record<string, unknown> {
  const { depStart, deps } = graph;
  const inputs = Object.create(null) as Record<string, unknown>;
  for (let k = depStart[i] as number; k < (depStart[i + 1] as number); k++) {
    const dep = nodes[deps[k] as number] as AnyTask;
    const st = dep._state;
    if (st.hasResult) {
      inputs[dep.name] = st.result;
    } else if (st.loadResult) {
      inputs[dep.name] = st.loadResult();
    } else {
      throw new FlowWeaverError(
        `The result of task "${dep.name}" is neither in memory nor readable from the store ${where.storeLocation}.`,
        { code: "RESULT_UNAVAILABLE", taskName: dep.name, runId: where.runId },
      );
    }
  }
  return inputs;
}
