import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { isMainThread } from "node:worker_threads";

/**
 * True when the module at `moduleUrl` is the script this process was started with
 * (`npx tsx examples/customer_etl.ts`). Importing the module from a test, the CLI or a
 * worker thread gives false, so importing an example runs nothing. The worker check
 * matters: a worker thread inherits the parent's `process.argv`.
 */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!isMainThread || entry === undefined) return false;
  try {
    // realpath on both sides, so a symlinked checkout or /tmp still matches.
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Runs `main` when the module was started directly. A failure is printed (the message,
 * not a stack: FlowWeaver's errors already say what went wrong and how to fix it) and
 * sets the exit code to 1.
 *
 * @example
 * runIfMain(import.meta.url, async () => { await executor.execute(workflow); });
 */
export function runIfMain(moduleUrl: string, main: () => Promise<void>): void {
  if (!isMain(moduleUrl)) return;
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exitCode = 1;
  });
}
