import { defineConfig } from "vitest/config";

/**
 * End-to-end tests of the dashboard in a real headless Chromium (Debian's `chromium`:
 * `bash scripts/ensure-chromium.sh` installs it). Kept out of `npm test` because they need
 * the browser: `npm run test:e2e`.
 */
export default defineConfig({
  test: {
    include: ["test/dashboard/*.e2e.ts"],
    globalSetup: ["test/dashboard/e2e-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // One browser at a time is plenty on a small machine.
    fileParallelism: false,
  },
});
