/** The peer: p-graph 2 running the same nodes and edges. */
import { PGraph } from "p-graph";

const noop = () => null;

/**
 * p-graph "build+run": the node map, the dependency list, the graph (its constructor
 * validates and looks for cycles) and the run. Returns the elapsed milliseconds.
 */
export async function pGraphBuildAndRun(shape, { concurrency }) {
  const { names, parents } = shape;
  const started = performance.now();
  const nodes = new Map();
  for (let i = 0; i < names.length; i++) nodes.set(names[i], { run: noop });
  const dependencies = [];
  for (let i = 0; i < names.length; i++) {
    for (const p of parents[i]) dependencies.push([names[p], names[i]]);
  }
  await new PGraph(nodes, dependencies).run({ concurrency });
  return { ms: performance.now() - started };
}
