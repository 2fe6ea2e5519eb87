/**
 * Workflow Design: "Keep Workflows Focused" — the seed's first example.
 *
 * One workflow, one purpose: customer_data_etl extracts customers from the CRM, validates
 * them, and loads the valid ones into the warehouse. Each task receives the result of
 * the task before it by name (`{ extract_from_crm }`), and because the dependencies are
 * task objects, the compiler checks that every input is provided with the right type.
 *
 * State lives in SQLite at .flowweaver/state.db, the CLI's default. Run it twice: the
 * first run runs the three tasks, the second restores them from the store instead of
 * running them again. The CRM is a local stand-in, started by extract_from_crm when no
 * `crmUrl` is given; the warehouse is a SQLite file, .flowweaver/warehouse.db unless
 * `warehousePath` says otherwise.
 *
 *   npx flowweaver run examples/customer_etl.ts
 *   npx flowweaver run examples/customer_etl.ts --param crmUrl=http://crm.internal:8080
 *   npx tsx examples/customer_etl.ts       # the main block below, same store
 */
import { SequentialExecutor, SQLiteStateStore, task, Workflow } from "flowweaver";
import { type CrmCustomer, crmStandIn, startCrm } from "./support/crm.js";
import { getJson } from "./support/http.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl, stringParam } from "./support/params.js";
import { printRun } from "./support/report.js";
import { upsertCustomers, type WarehouseCustomer } from "./support/warehouse.js";

/** validate_records splits the CRM export into loadable rows and rejections with reasons. */
export interface ValidationResult {
  readonly valid: WarehouseCustomer[];
  readonly rejected: { readonly id: number; readonly reason: string }[];
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Pure validation, unit-testable without a workflow. */
export function validateCustomers(customers: readonly CrmCustomer[]): ValidationResult {
  const result: ValidationResult = { valid: [], rejected: [] };
  for (const { id, name, email, country } of customers) {
    if (!name?.trim()) result.rejected.push({ id, reason: "missing name" });
    else if (!email || !EMAIL.test(email))
      result.rejected.push({ id, reason: `bad email ${email}` });
    else result.valid.push({ id, name: name.trim(), email: email.toLowerCase(), country });
  }
  return result;
}

// The network is where transient failures live: retry with backoff, and bound each attempt.
export const extract_from_crm = task(
  "extract_from_crm",
  async (_inputs, ctx) =>
    getJson<CrmCustomer[]>(`${await serviceUrl(ctx, "crmUrl", crmStandIn)}/customers`, {
      signal: ctx.signal,
    }),
  { retries: 3, retryDelay: "200ms", backoff: "exponential", timeout: "30s" },
);

export const validate_records = task(
  "validate_records",
  ({ extract_from_crm }: { extract_from_crm: CrmCustomer[] }) =>
    validateCustomers(extract_from_crm),
);

/** Where load_to_warehouse writes without a `warehousePath`: beside the CLI's default store. */
export const DEFAULT_WAREHOUSE = ".flowweaver/warehouse.db";

// An upsert keyed by customer id: loading twice is harmless, so a retry is safe.
export const load_to_warehouse = task(
  "load_to_warehouse",
  ({ validate_records }: { validate_records: ValidationResult }, ctx) => ({
    loaded: upsertCustomers(
      stringParam(ctx, "warehousePath", DEFAULT_WAREHOUSE),
      validate_records.valid,
    ),
    rejected: validate_records.rejected.length,
  }),
  { retries: 2, retryDelay: "200ms" },
);

export const workflow = new Workflow({
  name: "customer_data_etl",
  description: "Extract, transform, load customer data from CRM to warehouse",
  module: import.meta.url,
});
workflow.addTask(extract_from_crm);
workflow.addTask(validate_records, { dependsOn: [extract_from_crm] });
workflow.addTask(load_to_warehouse, { dependsOn: [validate_records] });

runIfMain(import.meta.url, async () => {
  await using crm = await startCrm(); // the local stand-in for the CRM's API
  const stateStore = new SQLiteStateStore(".flowweaver/state.db");
  try {
    const run = await new SequentialExecutor({ stateStore }).execute(workflow, {
      params: { crmUrl: crm.url, warehousePath: DEFAULT_WAREHOUSE },
    });
    printRun(run);
    console.log("load_to_warehouse result:", workflow.getTask("load_to_warehouse").result);
    if (Object.values(run.tasks).every((t) => t.restored)) {
      console.log("Everything was restored. Clear the state to start over: rm -r .flowweaver");
    }
  } finally {
    await stateStore.close();
  }
});
