import { type SpawnSyncReturns, spawnSync } from "node:child_process";

/** The library's entry point, for scripts to import as a user would. */
export const INDEX_URL = new URL("../../src/index.ts", import.meta.url).href;

/**
 * Runs `source` as an ES module in a new Node.js process (with tsx, so it can import
 * {@link INDEX_URL}) and returns what it printed: for what only a process of its own
 * shows, such as what it loads, what keeps it alive, or what it leaves when it ends.
 */
export function runScript(source: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    encoding: "utf8",
    timeout: 20_000,
  });
}
