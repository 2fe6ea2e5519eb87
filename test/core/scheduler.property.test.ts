/**
 * Properties of the scheduler core over random DAGs (seeded, so a failure replays): order,
 * the concurrency cap, failure propagation and resume.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AsyncExecutor,
  type Executor,
  MemoryStateStore,
  type RunResult,
  SequentialExecutor,
  silentLogger,
  task,
  Workflow,
} from "../../src/index.js";

const SEED = 20_261_125;
const RUNS = 60;

/** A DAG over tasks 0..n-1 where every dependency has a smaller number, added in `order`. */
interface Dag {
  readonly deps: readonly (readonly number[])[];
  /** Insertion order: a permutation of 0..n-1, so dependents are often added first. */
  readonly order: readonly number[];
  /** Event-loop turns each task waits, so runs interleave differently. */
  readonly turns: readonly number[];
  readonly failing: ReadonlySet<number>;
  readonly concurrency: number;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const dagArb: fc.Arbitrary<Dag> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    deps: fc.tuple(...range(n).map((j) => fc.subarray(range(j), { maxLength: Math.min(j, 3) }))),
    order: fc.shuffledSubarray(range(n), { minLength: n, maxLength: n }),
    turns: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
    failing: fc.subarray(range(n)).map((list) => new Set(list)),
    concurrency: fc.integer({ min: 1, max: 4 }),
  }),
);

const nameOf = (i: number) => `t${i}`;
const indexOf = (name: string) => Number(name.slice(1));

interface Observed {
  /** Task numbers in the order they started. */
  readonly started: number[];
  readonly violations: string[];
  maxInFlight: number;
}

/**
 * Builds the workflow. Each task checks, as it starts, that its dependencies finished and
 * counts tasks in flight; it returns 1 + the sum of its inputs, so a wrong or missing input
 * shows in the results.
 */
function build(dag: Dag, fail: ReadonlySet<number>, observed: Observed): Workflow {
  const finished = new Set<number>();
  let inFlight = 0;
  const wf = new Workflow("property_dag");
  for (const i of dag.order) {
    const fn = async (inputs: Record<string, number>) => {
      observed.started.push(i);
      for (const d of dag.deps[i] ?? []) {
        if (!finished.has(d)) observed.violations.push(`${nameOf(i)} started before ${nameOf(d)}`);
      }
      observed.maxInFlight = Math.max(observed.maxInFlight, ++inFlight);
      try {
        for (let k = 0; k < (dag.turns[i] ?? 0); k++) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (fail.has(i)) throw new Error(`${nameOf(i)} planned to fail`);
        return 1 + Object.values(inputs).reduce((a, b) => a + b, 0);
      } finally {
        inFlight--;
        finished.add(i);
      }
    };
    wf.addTask(task(nameOf(i), fn), { dependsOn: (dag.deps[i] ?? []).map(nameOf) });
  }
  return wf;
}

/** What each task should end as: skipped below any failure, else failed or completed as planned. */
function expectedStatuses(dag: Dag, fail: ReadonlySet<number>): Record<string, string> {
  const status: string[] = [];
  for (let i = 0; i < dag.deps.length; i++) {
    const depsOk = (dag.deps[i] ?? []).every((d) => status[d] === "COMPLETED");
    status[i] = !depsOk ? "SKIPPED" : fail.has(i) ? "FAILED" : "COMPLETED";
  }
  return Object.fromEntries(status.map((s, i) => [nameOf(i), s]));
}

/** 1 + the sum of the dependencies' values, as the tasks compute it. */
function expectedValues(dag: Dag): number[] {
  const values: number[] = [];
  for (let i = 0; i < dag.deps.length; i++) {
    values[i] = 1 + (dag.deps[i] ?? []).reduce((sum, d) => sum + (values[d] ?? 0), 0);
  }
  return values;
}

async function settle(executor: Executor, wf: Workflow): Promise<RunResult> {
  try {
    return await executor.execute(wf);
  } catch (error) {
    const result = (error as { result?: RunResult }).result;
    if (!result) throw error;
    return result;
  }
}

const statusesOf = (run: RunResult) =>
  Object.fromEntries(Object.entries(run.tasks).map(([name, t]) => [name, t.status]));

const fresh = (): Observed => ({ started: [], violations: [], maxInFlight: 0 });

describe("scheduler properties over random DAGs", () => {
  it("starts every task only after all its dependencies finished, within the concurrency cap", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.boolean(), async (dag, sequential) => {
        const observed = fresh();
        const wf = build(dag, new Set(), observed);
        const executor = sequential
          ? new SequentialExecutor({ logger: silentLogger })
          : new AsyncExecutor({ maxConcurrent: dag.concurrency, logger: silentLogger });
        const run = await executor.execute(wf);
        expect(observed.violations).toEqual([]);
        expect(observed.started).toHaveLength(dag.deps.length);
        expect(observed.maxInFlight).toBeLessThanOrEqual(sequential ? 1 : dag.concurrency);
        const values = expectedValues(dag);
        for (const node of wf.tasks) expect(node.result).toBe(values[indexOf(node.name)]);
        expect(run.status).toBe("COMPLETED");
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("runs sequentially in topological order, the task added first among the ready ones first", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (dag) => {
        const observed = fresh();
        await new SequentialExecutor({ logger: silentLogger }).execute(
          build(dag, new Set(), observed),
        );
        // Simulate: repeatedly take the earliest-added task whose dependencies all ran.
        const done = new Set<number>();
        const expected: number[] = [];
        while (expected.length < dag.order.length) {
          const next = dag.order.find(
            (i) => !done.has(i) && (dag.deps[i] ?? []).every((d) => done.has(d)),
          ) as number;
          done.add(next);
          expected.push(next);
        }
        expect(observed.started).toEqual(expected);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("skips exactly the descendants of failed tasks; the rest complete or fail as planned", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (dag) => {
        const observed = fresh();
        const wf = build(dag, dag.failing, observed);
        const executor = new AsyncExecutor({
          maxConcurrent: dag.concurrency,
          logger: silentLogger,
        });
        const run = await settle(executor, wf);
        const expected = expectedStatuses(dag, dag.failing);
        expect(statusesOf(run)).toEqual(expected);
        expect(observed.violations).toEqual([]);
        const anyFailed = Object.values(expected).includes("FAILED");
        expect(run.status).toBe(anyFailed ? "FAILED" : "COMPLETED");
        for (const node of wf.tasks) expect(node.status).toBe(expected[node.name]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("resumes after a failure by running exactly the tasks that did not complete", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (dag) => {
        const stateStore = new MemoryStateStore();
        const first = await settle(
          new AsyncExecutor({ maxConcurrent: dag.concurrency, stateStore, logger: silentLogger }),
          build(dag, dag.failing, fresh()),
        );
        const notCompleted = Object.entries(first.tasks)
          .filter(([, t]) => t.status !== "COMPLETED")
          .map(([name]) => indexOf(name))
          .sort((a, b) => a - b);

        const observed = fresh();
        const wf = build(dag, new Set(), observed);
        const second = await new AsyncExecutor({
          maxConcurrent: dag.concurrency,
          stateStore,
          logger: silentLogger,
        }).execute(wf);
        expect([...observed.started].sort((a, b) => a - b)).toEqual(notCompleted);
        expect(second.status).toBe("COMPLETED");
        const values = expectedValues(dag);
        for (const node of wf.tasks) {
          const i = indexOf(node.name);
          expect(node.restored).toBe(!notCompleted.includes(i));
          // Stored results of restored tasks reached the dependents that re-ran.
          expect(node.result).toBe(values[i]);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
