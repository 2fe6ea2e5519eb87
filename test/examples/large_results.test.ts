import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { largeFile, summary, workflow, writeSampleCsv } from "../../examples/large_results.js";
import { SequentialExecutor, SQLiteStateStore } from "../../src/index.js";
import { outcome, tempDir } from "./helpers.js";

describe("examples/large_results.ts (Use State Store for Large Results)", () => {
  let dir: ReturnType<typeof tempDir>;
  let stateStore: SQLiteStateStore;
  beforeEach(() => {
    dir = tempDir();
    stateStore = new SQLiteStateStore(join(dir.path, "state.db"));
  });
  afterEach(async () => {
    await stateStore.close();
    dir.remove();
  });

  it("stores the parsed rows, lets them leave memory, and reads them back on demand", async () => {
    const csvPath = join(dir.path, "large.csv");
    writeSampleCsv(csvPath, 2_000);
    await new SequentialExecutor({ stateStore }).execute(workflow, { params: { csvPath } });

    const totals = summary.result;
    expect(totals?.rows).toBe(2_000);
    expect(totals?.byRegion).toBeInstanceOf(Map);
    expect([...(totals?.byRegion.keys() ?? [])].sort()).toEqual(["east", "north", "south", "west"]);
    expect(totals?.firstSale).toBeInstanceOf(Date);

    // Its only dependent completed, so the 2,000 rows are no longer held by the node:
    // `result` reads them back from SQLite, Dates and all.
    expect(largeFile._state.hasResult).toBe(false);
    const rows = largeFile.result ?? [];
    expect(rows).toHaveLength(2_000);
    expect(rows[0]?.placedAt).toBeInstanceOf(Date);
    expect(rows[1_999]).toMatchObject({ orderId: 2_000 });
  });

  it("restores both results in a later run instead of parsing the file again", async () => {
    const csvPath = join(dir.path, "large.csv");
    writeSampleCsv(csvPath, 500);
    const executor = new SequentialExecutor({ stateStore });
    await executor.execute(workflow, { params: { csvPath } });
    const run = await executor.execute(workflow, { params: { csvPath: "/nonexistent.csv" } });
    expect(outcome(run).restored).toEqual(["process_large_file", "summarize_sales"]);
    expect(summary.result?.rows).toBe(500);
  });
});
