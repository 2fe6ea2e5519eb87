/**
 * Output of a scenario: aligned tables on stdout, and targets (a figure against a
 * threshold) that are both printed and sent to run.mjs for the final summary.
 */
import { QUICK } from "./measure.mjs";

/**
 * Prints a table. `columns` are `{ header, align? }` ("left" or "right", default right);
 * `rows` are arrays of strings, or `null` for a separator line. A row shorter than the
 * columns lets its last cell run over the rest of the line (for "not measured: why").
 */
export function printTable(title, columns, rows, notes = []) {
  const full = rows.filter((r) => r !== null && r.length >= columns.length);
  const short = rows.filter((r) => r !== null && r.length < columns.length);
  const widths = columns.map((c, i) =>
    Math.max(
      c.header.length,
      ...full.map((r) => String(r[i] ?? "").length),
      ...short.filter((r) => i < r.length - 1).map((r) => String(r[i] ?? "").length),
    ),
  );
  const cell = (text, i) => {
    const value = String(text ?? "");
    return (columns[i].align ?? "right") === "left"
      ? value.padEnd(widths[i])
      : value.padStart(widths[i]);
  };
  const line = (r) => {
    if (r === null) return widths.map((w) => "-".repeat(w)).join("-+-");
    if (r.length >= columns.length) return r.map(cell).join(" | ");
    return [...r.slice(0, -1).map(cell), r.at(-1)].join(" | ");
  };
  const lines = ["", title, "", line(columns.map((c) => c.header)), line(null), ...rows.map(line)];
  for (const note of notes) lines.push(`  ${note}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * Judges a figure against a target: PASS or FAIL, or "n/a" when there is no figure or in
 * quick mode (whose sizes are not the target's). Sends the verdict to run.mjs for the
 * summary and returns it as a row for {@link printTargets}.
 *
 * @param {{ name: string, value: number | undefined, figure: string, target: string,
 *   passes: (value: number) => boolean, sameInQuick?: boolean }} spec  `sameInQuick`: the
 *   scenario measures the target's exact case even in quick mode, so it is judged there too.
 */
export function judgeTarget({ name, value, figure, target, passes, sameInQuick = false }) {
  let verdict;
  if (value === undefined || Number.isNaN(value)) verdict = "n/a (no figure)";
  else if (QUICK && !sameInQuick) verdict = "n/a (quick)";
  else verdict = passes(value) ? "PASS" : "FAIL";
  const record = { name, figure: value === undefined ? "no figure" : figure, target, verdict };
  process.send?.({ type: "target", ...record });
  return record;
}

/** Prints targets as a table of their own. */
export function printTargets(title, records) {
  printTable(
    title,
    [
      { header: "target", align: "left" },
      { header: "figure" },
      { header: "threshold" },
      { header: "result", align: "left" },
    ],
    records.map((r) => [r.name, r.figure, r.target, r.verdict]),
  );
}
