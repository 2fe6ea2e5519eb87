import { describe, expect, it } from "vitest";
import { resolveTaskOptions, retryDelayMs } from "../../src/core/task-options.js";

const options = (raw: Record<string, unknown>) => resolveTaskOptions("t", raw);
/** The delays before attempts 2..n+1 (the retries), with a fixed random value. */
const delays = (raw: Record<string, unknown>, retries: number, random = () => 0.5) =>
  Array.from({ length: retries }, (_, k) => retryDelayMs(options(raw), k + 2, random));

describe("retryDelayMs", () => {
  it("waits nothing by default", () => {
    expect(delays({}, 3)).toEqual([0, 0, 0]);
  });

  it("waits the same retryDelay before every retry with fixed backoff", () => {
    expect(delays({ retryDelay: 2 }, 3)).toEqual([2000, 2000, 2000]);
    expect(delays({ retryDelay: "250ms", backoff: "fixed" }, 2)).toEqual([250, 250]);
  });

  it("doubles the delay each retry with exponential backoff", () => {
    expect(delays({ retryDelay: "100ms", backoff: "exponential" }, 5)).toEqual([
      100, 200, 400, 800, 1600,
    ]);
  });

  it("caps the delay at maxRetryDelay", () => {
    expect(delays({ retryDelay: "1s", backoff: "exponential", maxRetryDelay: "5s" }, 5)).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
    expect(delays({ retryDelay: "1m", maxRetryDelay: "30s" }, 1)).toEqual([30_000]);
  });

  it("randomizes the whole delay with full jitter", () => {
    const raw = { retryDelay: "1s", jitter: true };
    expect(delays(raw, 1, () => 0)).toEqual([1000]);
    expect(delays(raw, 1, () => 0.25)).toEqual([750]);
    expect(delays(raw, 1, () => 0.999)[0]).toBeCloseTo(1, 5);
  });

  it("randomizes only the given fraction of the delay", () => {
    const raw = { retryDelay: "1s", jitter: 0.2 };
    expect(delays(raw, 1, () => 0)).toEqual([800 + 200]);
    expect(delays(raw, 1, () => 1)).toEqual([800]);
    expect(delays(raw, 1, () => 0.5)).toEqual([900]);
  });

  it("applies jitter after the cap, so the cap is never exceeded", () => {
    const raw = { retryDelay: "1s", backoff: "exponential", maxRetryDelay: "3s", jitter: 0.5 };
    expect(delays(raw, 4, () => 0)).toEqual([1000, 2000, 3000, 3000]);
    expect(delays(raw, 4, () => 1)).toEqual([500, 1000, 1500, 1500]);
  });

  it("uses Math.random when no random source is given", () => {
    const delay = retryDelayMs(options({ retryDelay: "1s", jitter: true }), 2);
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(1000);
  });
});

describe("resolveTaskOptions", () => {
  it("compiles durations to milliseconds and fills the defaults", () => {
    expect(options({ timeout: "5m", retryDelay: 0.5 })).toMatchObject({
      retries: 0,
      retryDelayMs: 500,
      backoff: "fixed",
      maxRetryDelayMs: Number.POSITIVE_INFINITY,
      jitter: 0,
      timeoutMs: 300_000,
      version: undefined,
    });
    expect(options({ version: 3 }).version).toBe("3");
    expect(Object.isFrozen(options({}))).toBe(true);
  });
});
