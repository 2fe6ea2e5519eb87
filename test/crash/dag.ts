import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";

/**
 * The crash test's workflow, as plain data: a seeded random layered DAG whose task
 * results depend only on the run key, the task's name and its inputs. The child process
 * builds a Workflow from it; the parent computes the expected results from it directly,
 * without the engine, so a lost, torn or mixed-up stored result shows as a mismatch.
 */

export const WORKFLOW_NAME = "crash_test";

/** How a task spends its (short) time, so commits interleave with real work. */
export type TaskWork =
  | { readonly mode: "async"; readonly ms: number }
  | {
      readonly mode: "sync";
      readonly ms: number;
    };

/**
 * The shape of a result: plain strings, values that need superjson (Date, Map, Set,
 * BigInt, undefined, Buffer), larger records, and top-level Buffers (stored as bytes).
 */
export type ResultKind = "string" | "rich" | "blob" | "buffer";

export interface CrashTaskSpec {
  readonly name: string;
  readonly deps: readonly string[];
  readonly work: TaskWork;
  readonly kind: ResultKind;
}

export interface CrashDag {
  readonly seed: number;
  readonly tasks: readonly CrashTaskSpec[];
}

/** mulberry32: a tiny seeded generator, enough for reproducible test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads a seed given as a number, or hashes any other text into one. */
export function parseSeed(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) >>> 0;
  return createHash("sha256").update(text).digest().readUInt32BE(0);
}

/**
 * Layers of 8–24 tasks; every task past the first layer has 1–3 distinct parents, mostly
 * from the layer just before, sometimes from any earlier one (long edges).
 */
export function makeDag(seed: number, size: number): CrashDag {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const layers: string[][] = [];
  const tasks: CrashTaskSpec[] = [];
  while (tasks.length < size) {
    const width = Math.min(size - tasks.length, 8 + Math.floor(random() * 17));
    const layer: string[] = [];
    const l = layers.length;
    for (let k = 0; k < width; k++) {
      const name = `t${String(l).padStart(2, "0")}_${String(k).padStart(2, "0")}`;
      const deps = new Set<string>();
      if (l > 0) {
        const want = 1 + Math.floor(random() * 3);
        for (let tries = 0; deps.size < want && tries < 20; tries++) {
          const from = random() < 0.75 ? l - 1 : Math.floor(random() * l);
          deps.add(pick(layers[from] as string[]));
        }
      }
      const work: TaskWork =
        random() < 0.6
          ? { mode: "async", ms: 1 + Math.floor(random() * 4) }
          : { mode: "sync", ms: 0.2 + random() * 1.3 };
      const roll = random();
      const kind: ResultKind =
        roll < 0.4 ? "string" : roll < 0.75 ? "rich" : roll < 0.9 ? "blob" : "buffer";
      tasks.push({ name, deps: [...deps].sort(), work, kind });
      layer.push(name);
    }
    layers.push(layer);
  }
  return { seed, tasks };
}

/** The hash a result carries, whatever its shape. */
export function fingerprint(value: unknown): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("hex");
  if (typeof value === "object" && value !== null && "h" in value) {
    const h = (value as { h: unknown }).h;
    if (typeof h === "string") return h;
  }
  throw new Error(`crash test: not a result of this workflow: ${String(value)}`);
}

/** A task's result from its run key, name and inputs: the same on every run. */
export function computeResult(
  spec: CrashTaskSpec,
  runKey: string,
  inputs: Readonly<Record<string, unknown>>,
): unknown {
  const hash = createHash("sha256").update(`${runKey}|${spec.name}`);
  for (const dep of spec.deps) hash.update(`|${dep}=${fingerprint(inputs[dep])}`);
  const h = hash.digest("hex");
  switch (spec.kind) {
    case "string":
      return h;
    case "buffer":
      return Buffer.from(h, "hex");
    case "blob":
      return { h, blob: h.repeat(64), lines: Array.from({ length: 16 }, (_, i) => `${i}:${h}`) };
    case "rich": {
      const n = Number.parseInt(h.slice(0, 8), 16);
      return {
        h,
        n,
        big: BigInt(`0x${h.slice(0, 24)}`),
        when: new Date(1_600_000_000_000 + n),
        tags: new Set([h.slice(0, 4), h.slice(4, 8)]),
        byDep: new Map(spec.deps.map((dep) => [dep, fingerprint(inputs[dep]).slice(0, 12)])),
        bytes: Buffer.from(h.slice(0, 16), "hex"),
        nothing: undefined,
      };
    }
  }
}

/** Every task's expected result in partition `runKey`, computed without the engine. */
export function expectedResults(dag: CrashDag, runKey: string): Map<string, unknown> {
  const results = new Map<string, unknown>();
  for (const spec of dag.tasks) {
    const inputs: Record<string, unknown> = {};
    for (const dep of spec.deps) inputs[dep] = results.get(dep);
    results.set(spec.name, computeResult(spec, runKey, inputs));
  }
  return results;
}

/** Deep, prototype-aware equality (a Buffer read back as a Uint8Array is a mismatch). */
export function sameValue(actual: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(actual, expected);
}
