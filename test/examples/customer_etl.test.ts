import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  extract_from_crm,
  load_to_warehouse,
  validate_records,
  validateCustomers,
  workflow,
} from "../../examples/customer_etl.js";
import { CRM_CUSTOMERS, startCrm } from "../../examples/support/crm.js";
import type { LocalApi } from "../../examples/support/local-api.js";
import { readCustomers } from "../../examples/support/warehouse.js";
import { SequentialExecutor, SQLiteStateStore, Workflow } from "../../src/index.js";
import { outcome, tempDir } from "./helpers.js";

const EXAMPLE = fileURLToPath(new URL("../../examples/customer_etl.ts", import.meta.url));
const TSX_CLI = createRequire(import.meta.url).resolve("tsx/cli");
const TSCONFIG = fileURLToPath(new URL("../../tsconfig.json", import.meta.url));

describe("examples/customer_etl.ts (Keep Workflows Focused)", () => {
  let dir: ReturnType<typeof tempDir>;
  let crm: LocalApi;
  beforeEach(async () => {
    dir = tempDir();
    crm = await startCrm();
  });
  afterEach(async () => {
    await crm.close();
    dir.remove();
  });

  it("validates the CRM export: invalid e-mails and missing names are rejected", () => {
    const { valid, rejected } = validateCustomers(CRM_CUSTOMERS);
    expect(valid.map((c) => c.id)).toEqual([101, 102, 105, 107]);
    expect(rejected).toEqual([
      { id: 103, reason: "bad email chidi@example" },
      { id: 104, reason: "missing name" },
      { id: 106, reason: "bad email null" },
    ]);
  });

  it("extracts, validates and loads; a second run resumes from SQLite without calling the CRM", async () => {
    const params = { crmUrl: crm.url, warehousePath: join(dir.path, "warehouse.db") };
    const statePath = join(dir.path, "state.db");

    const first = new SQLiteStateStore(statePath);
    const run1 = await new SequentialExecutor({ stateStore: first }).execute(workflow, { params });
    expect(outcome(run1)).toEqual({
      ran: ["extract_from_crm", "validate_records", "load_to_warehouse"],
      restored: [],
    });
    // Read back from the store (results leave memory once stored), so before close().
    expect(workflow.getTask("load_to_warehouse").result).toEqual({ loaded: 4, rejected: 3 });
    await first.close();
    expect(readCustomers(params.warehousePath).map((c) => c.id)).toEqual([101, 102, 105, 107]);

    // A new store object on the same file: the state, not the process, carries the resume.
    const second = new SQLiteStateStore(statePath);
    const run2 = await new SequentialExecutor({ stateStore: second }).execute(workflow, { params });
    expect(outcome(run2).restored).toEqual([
      "extract_from_crm",
      "validate_records",
      "load_to_warehouse",
    ]);
    expect(workflow.getTask("load_to_warehouse").result).toEqual({ loaded: 4, rejected: 3 });
    await second.close();
    expect(crm.hits("/customers")).toBe(1);
  });

  it("resumes after a failure: only the failed task and what follows run again", async () => {
    const params = { crmUrl: crm.url, warehousePath: join(dir.path, "sub", "warehouse.db") };
    const stateStore = new SQLiteStateStore(join(dir.path, "state.db"));
    const executor = new SequentialExecutor({ stateStore });
    // The warehouse is unreachable for the first run: its parent is a file, not a directory.
    await expect(
      executor.execute(workflow, {
        params: { ...params, warehousePath: join(EXAMPLE, "warehouse.db") },
      }),
    ).rejects.toMatchObject({ name: "WorkflowFailedError", failedTasks: ["load_to_warehouse"] });
    const run = await executor.execute(workflow, { params });
    expect(outcome(run)).toEqual({
      ran: ["load_to_warehouse"],
      restored: ["extract_from_crm", "validate_records"],
    });
    expect(readCustomers(params.warehousePath)).toHaveLength(4);
    await stateStore.close();
  });

  it("checks the data flow at compile time", () => {
    const wf = new Workflow("typing_only");
    wf.addTask(extract_from_crm);
    wf.addTask(validate_records, { dependsOn: [extract_from_crm] });
    // @ts-expect-error load_to_warehouse needs validate_records' result, not the raw export
    wf.addTask(load_to_warehouse, { dependsOn: [extract_from_crm] });
    expect(wf.tasks).toHaveLength(3);
  });

  it("runs as a script: the second run restores every task from .flowweaver/state.db", () => {
    const cwd = tempDir();
    try {
      // From a temp directory tsx finds no tsconfig.json, and "flowweaver" would mean the
      // build (dist/); pointing tsx at the repository's keeps this test on the sources.
      const env = { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG };
      const runScript = () =>
        spawnSync(process.execPath, [TSX_CLI, EXAMPLE], { cwd: cwd.path, encoding: "utf8", env });
      const first = runScript();
      expect(first.stderr).toBe("");
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/ran\s+extract_from_crm/);
      expect(first.stdout).toMatch(/ran\s+load_to_warehouse/);
      expect(existsSync(join(cwd.path, ".flowweaver", "state.db"))).toBe(true);

      const second = runScript();
      expect(second.status).toBe(0);
      for (const name of ["extract_from_crm", "validate_records", "load_to_warehouse"]) {
        expect(second.stdout).toMatch(new RegExp(`restored\\s+${name}`));
      }
      expect(second.stdout).toContain("{ loaded: 4, rejected: 3 }");
    } finally {
      cwd.remove();
    }
  });
});
