/** Prints what a run did, task by task: ran, restored from the store, failed or skipped. */
import type { RunResult } from "flowweaver";

/** One line per task, in the workflow's order, after a headline. */
export function describeRun(run: RunResult): string[] {
  const lines = [
    `${run.workflow} [${run.runKey}]: ${run.status} in ${run.duration.toFixed(3)}s (run ${run.runId.slice(0, 8)})`,
  ];
  const width = Math.max(...Object.keys(run.tasks).map((name) => name.length));
  for (const [name, summary] of Object.entries(run.tasks)) {
    const label = name.padEnd(width);
    const attempts = `${summary.attempts} attempt${summary.attempts === 1 ? "" : "s"}`;
    if (summary.restored) {
      lines.push(`  restored  ${label}  (completed by an earlier run, not run again)`);
    } else if (summary.status === "COMPLETED") {
      lines.push(`  ran       ${label}  ${attempts}, ${(summary.duration ?? 0).toFixed(3)}s`);
    } else if (summary.status === "FAILED") {
      lines.push(`  failed    ${label}  ${attempts}: ${summary.error?.message ?? "unknown error"}`);
    } else {
      lines.push(`  ${summary.status.toLowerCase().padEnd(8)}  ${label}`);
    }
  }
  return lines;
}

export function printRun(run: RunResult): void {
  console.log(describeRun(run).join("\n"));
}
