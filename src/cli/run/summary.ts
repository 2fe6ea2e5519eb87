import type { RunResult } from "../../index.js";
import { errorLine, firstFrame, formatSeconds, plural, shellQuote } from "../format.js";
import type { Colors } from "../io.js";
import type { Counts, Progress } from "./progress.js";

/** The counts line: `completed 3 · resumed from store 1 · failed 0 · skipped 2 · 6 tasks`. */
export function countsLine(counts: Counts, total: number, c: Colors): string {
  const parts = [
    c.green(`completed ${counts.done}`),
    c.blue(`resumed from store ${counts.restored}`),
    counts.failed > 0 ? c.red(`failed ${counts.failed}`) : `failed ${counts.failed}`,
  ];
  if (counts.stopped > 0) parts.push(c.yellow(`stopped ${counts.stopped}`));
  parts.push(counts.skipped > 0 ? c.yellow(`skipped ${counts.skipped}`) : `skipped 0`);
  if (counts.pending + counts.running > 0) {
    parts.push(`not finished ${counts.pending + counts.running}`);
  }
  parts.push(plural(total, "task"));
  return parts.join(c.dim(" · "));
}

const OUTCOME = {
  COMPLETED: { symbol: "✔", word: "completed", color: "green" },
  FAILED: { symbol: "✖", word: "failed", color: "red" },
  CANCELLED: { symbol: "■", word: "was interrupted", color: "yellow" },
} as const;

const MAX_FAILURES_SHOWN = 10;

/** The lines printed when a run ends, on a terminal and in plain output. */
export function summaryLines(result: RunResult, progress: Progress, c: Colors): string[] {
  const outcome = OUTCOME[result.status];
  const paint = c[outcome.color];
  const lines = [
    `${paint(outcome.symbol)} ${c.bold(result.workflow)} ${paint(outcome.word)} in ${formatSeconds(result.duration)} ${c.dim(`(run ${result.runId})`)}`,
    `  ${countsLine(progress.counts, progress.rows.length, c)}`,
  ];
  const failed = progress.rows.filter((row) => row.phase === "failed");
  for (const row of failed.slice(0, MAX_FAILURES_SHOWN)) {
    lines.push(`  ${c.red("✖")} ${row.name}: ${errorLine(row.error)}`);
    const frame = firstFrame(row.error);
    if (frame) lines.push(`      ${c.dim(frame)}`);
  }
  if (failed.length > MAX_FAILURES_SHOWN) {
    lines.push(
      `  … and ${failed.length - MAX_FAILURES_SHOWN} more failed tasks (see flowweaver status ${shellQuote(result.workflow)})`,
    );
  }
  return lines;
}
