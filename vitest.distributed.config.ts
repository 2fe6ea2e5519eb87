import { defineConfig } from "vitest/config";

/**
 * The distributed suite (`npm run test:distributed`): a coordinator and `flowweaver worker`
 * processes on the local Redis and PostgreSQL, killed with SIGKILL mid-run. Long, so it
 * stays out of `npm test`. Outside CI a missing service skips it (saying how to start it).
 */
export default defineConfig({
  test: {
    include: ["test/bullmq/**/*.slow.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Each test runs several processes already; files side by side would only slow each other.
    fileParallelism: false,
  },
});
