/**
 * Performance Optimization: "Choose Right Executor", the ThreadedExecutor part.
 *
 * The guide's Python advice puts I/O-bound work on threads and CPU-bound work on one
 * thread, because Python threads share one interpreter lock. Node.js is the other way
 * round: I/O-bound work belongs on the event loop (AsyncExecutor, see
 * choose_executor.ts), and CPU-bound work on worker threads, which really run in
 * parallel. Debugging and work that must not overlap: SequentialExecutor.
 *
 * price_risk_simulation runs one Monte Carlo simulation per portfolio: pure computation.
 * Worker threads import this module to find the tasks, which is why the workflow is
 * exported and created with `module: import.meta.url`; the script part below runs only
 * when this file is started directly.
 *
 *   npx flowweaver run examples/threaded_choose_executor.ts --executor threaded
 *   npx flowweaver run examples/threaded_choose_executor.ts --executor threaded --param paths=100000 --fresh
 *   npx tsx examples/threaded_choose_executor.ts     # sequential and threaded, timed
 */
import { availableParallelism } from "node:os";
import { type Executor, SequentialExecutor, ThreadedExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { numberParam } from "./support/params.js";

export interface Portfolio {
  readonly name: string;
  /** Expected yearly return and volatility, as fractions. */
  readonly drift: number;
  readonly volatility: number;
}

export const PORTFOLIOS: readonly Portfolio[] = [
  { name: "bonds", drift: 0.03, volatility: 0.05 },
  { name: "balanced", drift: 0.05, volatility: 0.1 },
  { name: "equities", drift: 0.07, volatility: 0.18 },
  { name: "emerging", drift: 0.09, volatility: 0.28 },
];

export interface RiskReport {
  readonly portfolio: string;
  readonly paths: number;
  /** Loss not exceeded in 95% of one-year paths, as a fraction of the start value. */
  readonly valueAtRisk95: number;
  readonly meanReturn: number;
}

/**
 * One-year value at risk by simulation: `paths` paths of 252 daily steps. Seeded, so the
 * same inputs give the same report on any thread. Pure: no I/O, no shared state.
 */
export function simulate(portfolio: Portfolio, paths: number, seed: number): RiskReport {
  const random = mulberry32(seed);
  const days = 252;
  const dt = 1 / days;
  const returns = new Float64Array(paths);
  for (let p = 0; p < paths; p++) {
    let logValue = 0;
    for (let d = 0; d < days; d++) {
      const shock = gaussian(random);
      logValue +=
        (portfolio.drift - portfolio.volatility ** 2 / 2) * dt +
        portfolio.volatility * Math.sqrt(dt) * shock;
    }
    returns[p] = Math.exp(logValue) - 1;
  }
  returns.sort();
  const mean = returns.reduce((sum, r) => sum + r, 0) / paths;
  return {
    portfolio: portfolio.name,
    paths,
    valueAtRisk95: -(returns[Math.floor(paths * 0.05)] ?? 0),
    meanReturn: mean,
  };
}

const simulations = PORTFOLIOS.map((portfolio, index) =>
  task(`simulate_${portfolio.name}`, (_inputs, ctx) =>
    simulate(portfolio, numberParam(ctx, "paths", 20_000), 1_000 + index),
  ),
);

export const summarize_risk = task(
  "summarize_risk",
  (inputs: Readonly<Record<string, RiskReport>>) => {
    const reports = Object.values(inputs).sort((a, b) => a.valueAtRisk95 - b.valueAtRisk95);
    return {
      safest: reports[0]?.portfolio,
      riskiest: reports.at(-1)?.portfolio,
      valueAtRisk95: Object.fromEntries(reports.map((r) => [r.portfolio, r.valueAtRisk95])),
    };
  },
);

export const workflow = new Workflow({
  name: "price_risk_simulation",
  description: "One-year value at risk of each portfolio, by Monte Carlo simulation",
  module: import.meta.url,
});
for (const simulation of simulations) workflow.addTask(simulation);
workflow.addTask(summarize_risk, { dependsOn: simulations });

runIfMain(import.meta.url, async () => {
  const params = { paths: 20_000 };
  const timed = async (label: string, executor: Executor) => {
    const run = await executor.execute(workflow, { params });
    console.log(`${label.padEnd(46)} ${run.duration.toFixed(2)}s`);
    return run.duration;
  };
  // CPU-bound: as many threads as cores. The pool starts its threads on first use and
  // keeps them for later runs; `await using` terminates them at the end of the block.
  await using threaded = new ThreadedExecutor({ maxWorkers: availableParallelism() });
  await threaded.execute(workflow, { params: { paths: 1 } }); // start the threads first
  const seq = await timed("CPU-bound on SequentialExecutor:", new SequentialExecutor());
  const par = await timed(`CPU-bound on ThreadedExecutor(${threaded.maxWorkers}):`, threaded);
  console.log(`speedup: ${(seq / par).toFixed(2)}× on ${availableParallelism()} cores`);
  console.log(workflow.getTask("summarize_risk").result);
});

/** A small seeded PRNG: the same seed gives the same numbers in every thread. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A standard normal sample (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
