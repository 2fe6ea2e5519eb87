/**
 * The DAG shapes the benchmarks run, as plain data both runners are built from, so
 * FlowWeaver and p-graph get exactly the same nodes and edges.
 *
 * A shape is `{ name, size, names, parents }`: `names[i]` is task i's name and
 * `parents[i]` the indices of the tasks it depends on (always lower than i).
 */

/** Seeded 32-bit PRNG (mulberry32): the same seed gives the same DAG on every run. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function taskNames(size) {
  const names = new Array(size);
  for (let i = 0; i < size; i++) names[i] = `task_${i}`;
  return names;
}

/** t0 → t1 → … → t(n-1): no parallelism at all, the scheduler's per-task overhead alone. */
export function chain(size) {
  const parents = new Array(size);
  parents[0] = [];
  for (let i = 1; i < size; i++) parents[i] = [i - 1];
  return { name: "chain", size, names: taskNames(size), parents };
}

/** One root and size - 1 children of it: one task with a huge dependents list. */
export function fanOut(size) {
  const parents = new Array(size);
  parents[0] = [];
  for (let i = 1; i < size; i++) parents[i] = [0];
  return { name: "fan-out", size, names: taskNames(size), parents };
}

/**
 * Layers of `width` tasks; every task past the first layer has `fanIn` distinct parents
 * drawn from the layer before by a seeded generator.
 */
export function layered(size, { width = 100, fanIn = 3, seed = 42 } = {}) {
  if (fanIn > width) throw new Error(`layered(): fanIn ${fanIn} exceeds width ${width}`);
  const random = mulberry32(seed);
  const parents = new Array(size);
  for (let i = 0; i < size; i++) {
    const layer = Math.floor(i / width);
    if (layer === 0) {
      parents[i] = [];
      continue;
    }
    const previous = (layer - 1) * width;
    const picked = new Set();
    while (picked.size < fanIn) picked.add(previous + Math.floor(random() * width));
    parents[i] = [...picked];
  }
  return { name: "layered", size, names: taskNames(size), parents };
}

/** The shapes by the name the tables use. */
export const SHAPES = { chain, "fan-out": fanOut, layered };

export function edgeCount(shape) {
  let edges = 0;
  for (const p of shape.parents) edges += p.length;
  return edges;
}
