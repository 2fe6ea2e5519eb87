import { defineConfig } from "vitest/config";

/**
 * The crash suite (`npm run test:crash`): child processes killed with SIGKILL at seeded
 * random moments. Long, so it stays out of `npm test`. Set FW_CRASH_SEED to replay a run,
 * FW_CRASH_KILLS / FW_CRASH_CREATION_KILLS to change how many kills each store takes.
 */
export default defineConfig({
  test: {
    include: ["test/crash/**/*.crash.ts"],
    globalSetup: ["test/crash/seed.setup.ts"],
    testTimeout: 170_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The children already use both cores; files side by side would only slow each other.
    fileParallelism: false,
  },
});
