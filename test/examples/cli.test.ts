/**
 * Every example runs through the real command, as a reader would start it:
 * `flowweaver run examples/X.ts` from a fresh directory, with no `--param` (the stand-in
 * services start on first use), its state in that directory's .flowweaver/state.db, and
 * plain output (stdout is a pipe). From a directory with no tsconfig.json, the examples'
 * `import … from "flowweaver"` resolves to the build, like an installed package.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { startCrm } from "../../examples/support/crm.js";
import { type CliResult, ensureBuilt, runCli, scratchDir } from "../cli/support/cli.js";

const EXAMPLES = fileURLToPath(new URL("../../examples/", import.meta.url));

interface ExampleRun {
  /** A file in examples/. */
  readonly file: string;
  readonly args?: readonly string[];
  /** @default 0 */
  readonly code?: number;
  /** Lines the plain output must have, in any order. */
  readonly stdout: readonly RegExp[];
}

/** The plain output's line for a task event: `[+0.012s] done    name (…`. */
function line(event: "start" | "done" | "retry" | "failed" | "resumed" | "skipped", task: string) {
  return new RegExp(`^\\[\\+\\d+\\.\\d{3}s\\] ${event}\\s+${task} \\(`, "m");
}

const done = (...tasks: string[]) => tasks.map((task) => line("done", task));

const RUNS: readonly ExampleRun[] = [
  { file: "batch_processing.ts", stdout: done("fetch_user_batch", "process_batch") },
  {
    file: "choose_executor.ts",
    args: ["--workflow", "regional_sales_fetch", "--executor", "async"],
    stdout: done("fetch_sales_north", "fetch_sales_islands", "combine_regions"),
  },
  {
    file: "choose_executor.ts",
    args: ["--workflow", "sales_statistics"],
    stdout: done("compute_order_statistics"),
  },
  {
    file: "common_pitfalls.ts",
    args: ["--executor", "async"],
    stdout: done("merge_settings", "fetch_settings", "apply_settings"),
  },
  {
    file: "daily_report.ts",
    args: ["--run-key", "2026-11-24"],
    stdout: [
      ...done("fetch_daily_report", "validate_report", "summarize_report"),
      /run key 2026-11-24/,
    ],
  },
  {
    // On purpose: the report's date is its run key, and "default" is not a date.
    file: "daily_report.ts",
    code: 1,
    stdout: [
      line("failed", "fetch_daily_report"),
      /runKey set to a date \(YYYY-MM-DD\); got "default"\. Pass --run-key YYYY-MM-DD/,
      line("skipped", "summarize_report"),
    ],
  },
  {
    file: "descriptive_names.ts",
    stdout: done("fetch_raw_customer_data", "validate_customer_records", "transform_for_warehouse"),
  },
  {
    // The stand-in quotes API rate-limits the first request: one retry, then success.
    file: "error_handling.ts",
    stdout: [
      /^error\s+fetch_data: Rate limited, should retry retryAfter=1$/m,
      /retry\s+fetch_data \(attempt 1 failed: HttpError: GET http:\/\/127\.0\.0\.1:\d+\/quotes answered 429; retrying\)/,
      ...done("fetch_data", "price_summary"),
    ],
  },
  {
    file: "explicit_dependencies.ts",
    args: ["--executor", "async", "--concurrency", "8"],
    stdout: done("fetch_data", "validate_data", "transform_data"),
  },
  {
    file: "large_results.ts",
    args: ["--param", "rows=2000"],
    stdout: done("process_large_file", "summarize_sales"),
  },
  {
    file: "monitoring_callbacks.ts",
    stdout: [
      /^info\s+process_batch: batch_processing_start batch_id=orders-1 record_count=100$/m,
      ...done("fetch_batch", "process_batch", "reconcile_batch"),
    ],
  },
  {
    // On purpose: batch 7 is past the last order, so reconciliation fails.
    file: "monitoring_callbacks.ts",
    args: ["--param", "batch=7"],
    code: 1,
    stdout: [
      ...done("fetch_batch", "process_batch"),
      line("failed", "reconcile_batch"),
      /NonRetryableError: batch 7 has 0 orders, expected 100/,
    ],
  },
  {
    // A dropped connection, then a 503: two retries.
    file: "retries_and_timeouts.ts",
    args: ["--param", "primesBelow=10000"],
    stdout: [
      /retry\s+fetch_from_unstable_api \(attempt 1 failed: ConnectionError/,
      /retry\s+fetch_from_unstable_api \(attempt 2 failed: HttpError: .* answered 503/,
      ...done(
        "fetch_from_unstable_api",
        "database_write",
        "fetch_api_data",
        "process_large_dataset",
        "nightly_batch_job",
        "unreliable_api_call",
      ),
    ],
  },
  {
    file: "state_cleanup.ts",
    args: ["--fresh"],
    stdout: done("fetch_exchange_rates", "convert_revenue"),
  },
  {
    file: "testing_strategies.ts",
    args: ["--param", "userId=7"],
    stdout: done("fetch_user", "transform_user"),
  },
  {
    file: "threaded_choose_executor.ts",
    args: ["--executor", "threaded", "--concurrency", "2", "--param", "paths=200"],
    stdout: [...done("simulate_bonds", "simulate_emerging", "summarize_risk"), /threaded executor/],
  },
  {
    file: "threaded_pool_size.ts",
    args: ["--executor", "threaded", "--concurrency", "2", "--param", "size=40"],
    stdout: done("render_band_0", "render_band_7", "join_bands"),
  },
  {
    file: "threaded_thread_safety.ts",
    args: ["--executor", "threaded", "--concurrency", "2", "--workflow", "count_words"],
    stdout: done("count_chunk_0", "count_chunk_3", "merge_counts"),
  },
  {
    file: "threaded_thread_safety.ts",
    args: ["--executor", "threaded", "--concurrency", "2", "--workflow", "count_words_shared"],
    stdout: done("count_chunk_0_into_shared", "read_shared"),
  },
  { file: "typed_context.ts", stdout: done("fetch_users", "process_users") },
  { file: "xcom_context.ts", stdout: done("extract", "validate", "transform") },
  {
    file: "xcom_join.ts",
    stdout: done("fetch_users", "fetch_orders", "validate_data", "join_data"),
  },
];

/** `flowweaver run examples/<file> …args` in `cwd`. */
function run(file: string, args: readonly string[], cwd: string): Promise<CliResult> {
  return runCli(["run", join(EXAMPLES, file), ...args], { cwd });
}

/** The output, for an assertion message that shows what the command printed. */
function shown(result: CliResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

beforeAll(() => {
  ensureBuilt();
});

describe("every example runs through `flowweaver run`", () => {
  it("has a run below for every file in examples/", () => {
    const files = readdirSync(EXAMPLES).filter((name) => name.endsWith(".ts"));
    const covered = new Set([...RUNS.map((r) => r.file), "customer_etl.ts"]);
    expect(files.filter((name) => !covered.has(name))).toEqual([]);
  });

  // Each run has its own directory, so they can run side by side.
  describe.concurrent("plain output, exit code", () => {
    it.each(RUNS.map((r) => [[r.file, ...(r.args ?? [])].join(" "), r] as const))(
      "%s",
      async (_name, example) => {
        const dir = scratchDir();
        try {
          const result = await run(example.file, example.args ?? [], dir.path);
          expect(result.code, shown(result)).toBe(example.code ?? 0);
          for (const pattern of example.stdout)
            expect(result.stdout, shown(result)).toMatch(pattern);
          if (example.code === undefined) expect(result.stderr, shown(result)).toBe("");
          else expect(result.stderr).toMatch(/Fix the failure, then run the same command/);
          // The state is where the CLI says by default, in the directory it ran in.
          expect(existsSync(join(dir.path, ".flowweaver/state.db"))).toBe(true);
        } finally {
          dir.remove();
        }
      },
    );

    it("customer_etl.ts: the README's command; run again, every task is restored", async () => {
      const dir = scratchDir();
      try {
        const first = await run("customer_etl.ts", [], dir.path);
        expect(first.code, shown(first)).toBe(0);
        for (const pattern of done("extract_from_crm", "validate_records", "load_to_warehouse")) {
          expect(first.stdout).toMatch(pattern);
        }
        expect(first.stdout).toMatch(/completed 3 · resumed from store 0 · failed 0/);
        expect(existsSync(join(dir.path, ".flowweaver/warehouse.db"))).toBe(true);

        const second = await run("customer_etl.ts", [], dir.path);
        expect(second.code, shown(second)).toBe(0);
        for (const task of ["extract_from_crm", "validate_records", "load_to_warehouse"]) {
          expect(second.stdout).toMatch(line("resumed", task));
          expect(second.stdout).not.toMatch(line("start", task));
        }
        expect(second.stdout).toMatch(/completed 0 · resumed from store 3 · failed 0/);
      } finally {
        dir.remove();
      }
    });

    it("customer_etl.ts: --param crmUrl points the run at another CRM", async () => {
      const dir = scratchDir();
      await using crm = await startCrm();
      try {
        const result = await run(
          "customer_etl.ts",
          ["--param", `crmUrl=${crm.url}`, "--param", `warehousePath=${join(dir.path, "wh.db")}`],
          dir.path,
        );
        expect(result.code, shown(result)).toBe(0);
        expect(crm.hits("/customers")).toBe(1);
        expect(existsSync(join(dir.path, "wh.db"))).toBe(true);
        expect(existsSync(join(dir.path, ".flowweaver/warehouse.db"))).toBe(false);
      } finally {
        dir.remove();
      }
    });
  });
});
