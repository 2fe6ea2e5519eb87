/** Timing, settings and number formats shared by the scenarios. */

/** `BENCH_QUICK=1`: small sizes and single runs, to check the suite works, not to measure. */
export const QUICK = ["1", "true", "yes"].includes((process.env.BENCH_QUICK ?? "").toLowerCase());

/** Collects garbage between measurements when node runs with --expose-gc (run.mjs does). */
export function collectGarbage() {
  globalThis.gc?.();
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Runs `once()` (which resolves to `{ ms }`) `warmups` times untimed, then `runs` times,
 * collecting garbage before each, and returns the median and every sample in ms.
 */
export async function measure(once, { runs, warmups = 0 }) {
  for (let i = 0; i < warmups; i++) {
    collectGarbage();
    await once();
  }
  const samples = [];
  for (let i = 0; i < runs; i++) {
    collectGarbage();
    samples.push((await once()).ms);
  }
  return { ms: median(samples), samples };
}

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const format = {
  /** 123,456 */
  count: (n) => grouped.format(n),
  /** tasks per second from a size and milliseconds */
  rate: (size, ms) => grouped.format((size / ms) * 1000),
  /** microseconds per task */
  perTask: (size, ms) => ((ms * 1000) / size).toFixed(1),
  ms: (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)),
  ratio: (r) => `${r.toFixed(2)}×`,
  mb: (bytes) => (bytes / 1024 / 1024).toFixed(1),
  size: (n) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n)),
};
