import fs from "node:fs";
import type { TestProject } from "vitest/node";
import { buildAssets, removeDir, tempDir } from "./helpers.js";

export const CHROMIUM = "/usr/bin/chromium";

declare module "vitest" {
  export interface ProvidedContext {
    /** The dashboard's browser files, built once for every e2e test file. */
    dashboardAssets: string;
  }
}

/** Builds the browser files once, and checks the browser is there before any test starts. */
export default async function setup(project: TestProject): Promise<() => void> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `The dashboard's browser tests need Chromium at ${CHROMIUM}; install it with \`bash scripts/ensure-chromium.sh\` (Debian's chromium package).`,
    );
  }
  const dir = tempDir();
  project.provide("dashboardAssets", await buildAssets(dir));
  return () => removeDir(dir);
}
