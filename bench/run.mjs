/**
 * Runs the benchmark scenarios: every bench/scenarios/*.mjs in name order, each in a child
 * process of its own (a clean heap, nothing shared between scenarios), then prints a summary
 * of the targets they judged. Adding a scenario is adding a file there.
 *
 *   node --expose-gc bench/run.mjs [filter…]     (npm run bench -- [filter…])
 *
 * A filter keeps the scenarios whose file name contains it (case-insensitive).
 * BENCH_QUICK=1 runs small sizes once each, to check that the suite works.
 */
import { fork } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { QUICK } from "./lib/measure.mjs";
import { printTargets } from "./lib/report.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const scenarioDir = path.join(here, "scenarios");

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(
    "Usage: npm run bench -- [filter…]\n" +
      "  Runs bench/scenarios/*.mjs whose file name contains a filter (all without one).\n" +
      "  BENCH_QUICK=1 for small sizes (a smoke test, not a measurement).\n",
  );
  process.exit(0);
}
const unknownFlag = args.find((a) => a.startsWith("-"));
if (unknownFlag) {
  process.stderr.write(`bench: unknown option ${unknownFlag}; try --help.\n`);
  process.exit(2);
}
const filters = args.map((a) => a.toLowerCase());

const all = fs
  .readdirSync(scenarioDir)
  .filter((f) => f.endsWith(".mjs"))
  .sort();
const chosen = filters.length
  ? all.filter((f) => filters.some((filter) => f.toLowerCase().includes(filter)))
  : all;
if (chosen.length === 0) {
  process.stderr.write(
    `bench: no scenario matches ${filters.map((f) => JSON.stringify(f)).join(", ")}. Scenarios: ${all.join(", ")}.\n`,
  );
  process.exit(2);
}

process.stdout.write(
  `FlowWeaver benchmarks: node ${process.version}, ${process.platform}/${process.arch}, ` +
    `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim() ?? "unknown"})${QUICK ? ", QUICK mode" : ""}\n` +
    `Scenarios: ${chosen.join(", ")}\n`,
);

/** Runs one scenario file in a child; resolves with its exit code and the targets it sent. */
function runScenario(file) {
  return new Promise((resolve) => {
    const targets = [];
    const child = fork(path.join(scenarioDir, file), [], {
      execArgv: ["--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.on("message", (message) => {
      if (message?.type === "target") targets.push({ scenario: file, ...message });
    });
    child.on("error", (error) => {
      process.stderr.write(`bench: could not start ${file}: ${error.message}\n`);
    });
    child.on("exit", (code, signal) => resolve({ code: code ?? 1, signal, targets }));
  });
}

const began = performance.now();
const targets = [];
const failed = [];
for (const file of chosen) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const { code, signal, targets: sent } = await runScenario(file);
  targets.push(...sent);
  if (code !== 0) {
    failed.push(file);
    process.stdout.write(
      `\n  ${file} FAILED (${signal ? `signal ${signal}` : `exit code ${code}`}); its figures above are incomplete.\n`,
    );
  }
}

if (targets.length > 0) {
  printTargets(
    "Summary of targets",
    targets.map((t) => ({ ...t, name: `${t.scenario.replace(/\.mjs$/, "")}: ${t.name}` })),
  );
}
process.stdout.write(
  `\n${chosen.length} scenario(s) in ${((performance.now() - began) / 1000).toFixed(0)} s` +
    `${failed.length ? `; failed: ${failed.join(", ")}` : ""}\n`,
);
process.exitCode = failed.length ? 1 : 0;
