/**
 * Performance Optimization: "Optimize Thread Pool Size".
 *
 * Tune `maxWorkers` by measuring, not by guessing. For CPU-bound tasks on worker threads
 * the useful number is the number of cores (`os.availableParallelism()`): more threads
 * than cores do not compute faster, they take turns, and each one costs memory and a
 * start-up (it imports the workflow's module). The guide's "bad" case,
 * `max_workers=100`, is shown below as an over-subscribed pool. I/O-bound work does not
 * need threads at all: AsyncExecutor's `maxConcurrent` is the knob there.
 *
 * render_mandelbrot renders a Mandelbrot image in 8 horizontal bands, one task each, and
 * joins their escape-time histograms.
 *
 *   npx flowweaver run examples/threaded_pool_size.ts --executor threaded --concurrency "$(nproc)"
 *   npx tsx examples/threaded_pool_size.ts     # three pool sizes, timed
 */
import { availableParallelism } from "node:os";
import { ThreadedExecutor, task, Workflow } from "flowweaver";
import { runIfMain } from "./support/main.js";
import { numberParam } from "./support/params.js";

export const BANDS = 8;
const MAX_ITERATIONS = 500;

/** Workers for CPU-bound tasks: one per core this process may use. */
export function cpuBoundWorkers(): number {
  return availableParallelism();
}

/**
 * Escape-time counts of one band of a `size`×`size` image of the Mandelbrot set:
 * `histogram[k]` pixels escaped after k·50 to (k+1)·50 iterations, the last bucket
 * being the points inside the set.
 */
export function renderBand(band: number, size: number): number[] {
  const histogram = new Array<number>(MAX_ITERATIONS / 50 + 1).fill(0);
  const rows = size / BANDS;
  for (let y = band * rows; y < (band + 1) * rows; y++) {
    const ci = (y / size) * 2.4 - 1.2;
    for (let x = 0; x < size; x++) {
      const cr = (x / size) * 3.2 - 2.2;
      let zr = 0;
      let zi = 0;
      let n = 0;
      while (n < MAX_ITERATIONS && zr * zr + zi * zi <= 4) {
        const next = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = next;
        n++;
      }
      const bucket = Math.floor(n / 50);
      histogram[bucket] = (histogram[bucket] ?? 0) + 1;
    }
  }
  return histogram;
}

const bands = Array.from({ length: BANDS }, (_, band) =>
  task(`render_band_${band}`, (_inputs, ctx) => renderBand(band, numberParam(ctx, "size", 800))),
);

export const join_bands = task("join_bands", (inputs: Readonly<Record<string, number[]>>) => {
  const total = new Array<number>(MAX_ITERATIONS / 50 + 1).fill(0);
  for (const histogram of Object.values(inputs)) {
    histogram.forEach((count, bucket) => {
      total[bucket] = (total[bucket] ?? 0) + count;
    });
  }
  return { pixels: total.reduce((a, b) => a + b, 0), insideSet: total.at(-1), histogram: total };
});

export const workflow = new Workflow({
  name: "render_mandelbrot",
  description: "A Mandelbrot image in 8 bands, rendered in parallel",
  module: import.meta.url,
});
for (const band of bands) workflow.addTask(band);
workflow.addTask(join_bands, { dependsOn: bands });

runIfMain(import.meta.url, async () => {
  const cores = cpuBoundWorkers();
  const params = { size: 800 };
  for (const [label, maxWorkers] of [
    ["one thread", 1],
    ["one per core (good)", cores],
    ["over-subscribed (bad)", cores * 4],
  ] as const) {
    await using executor = new ThreadedExecutor({ maxWorkers });
    const started = performance.now();
    await executor.execute(workflow, { params: { size: 8 } }); // starts the threads
    const startup = (performance.now() - started) / 1000;
    const run = await executor.execute(workflow, { params });
    console.log(
      `${label.padEnd(22)} maxWorkers=${String(maxWorkers).padEnd(3)} start-up ${startup.toFixed(2)}s, run ${run.duration.toFixed(2)}s`,
    );
  }
  console.log(workflow.getTask("join_bands").result);
});
