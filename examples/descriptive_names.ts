/**
 * Task Design: "Meaningful Task Names".
 *
 * The same CRM pipeline as customer_etl.ts, written with the `Task` class and
 * dependencies by name: each name says what the step does, so a log line, a failed run
 * or the run history reads without the code at hand. (`step1`, `step2`, `step3` would
 * run just as well and tell you nothing.) Dependencies given as strings are not
 * type-checked; task objects, as in customer_etl.ts, are.
 *
 *   npx flowweaver run examples/descriptive_names.ts
 *   npx tsx examples/descriptive_names.ts
 */
import { SequentialExecutor, Task, Workflow } from "flowweaver";
import { type ValidationResult, validateCustomers } from "./customer_etl.js";
import { type CrmCustomer, crmStandIn, startCrm } from "./support/crm.js";
import { getJson } from "./support/http.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";

export interface WarehouseRow {
  readonly customer_id: number;
  readonly display_name: string;
  readonly email_domain: string;
  readonly country: string;
}

export const workflow = new Workflow({
  name: "customer_records",
  description: "Fetch, validate and shape CRM customers for the warehouse",
  module: import.meta.url,
});

workflow.addTask(
  new Task(
    "fetch_raw_customer_data",
    async (_inputs, ctx) =>
      getJson<CrmCustomer[]>(`${await serviceUrl(ctx, "crmUrl", crmStandIn)}/customers`, {
        signal: ctx.signal,
      }),
    { retries: 3, retryDelay: "200ms", timeout: "30s", description: "GET /customers from the CRM" },
  ),
);
workflow.addTask(
  new Task(
    "validate_customer_records",
    ({ fetch_raw_customer_data }: { fetch_raw_customer_data: CrmCustomer[] }) =>
      validateCustomers(fetch_raw_customer_data),
    { description: "Reject customers without a name or a valid e-mail" },
  ),
  { dependsOn: ["fetch_raw_customer_data"] },
);
workflow.addTask(
  new Task(
    "transform_for_warehouse",
    ({ validate_customer_records }: { validate_customer_records: ValidationResult }) =>
      validate_customer_records.valid.map(
        (customer): WarehouseRow => ({
          customer_id: customer.id,
          display_name: customer.name,
          email_domain: customer.email.split("@")[1] ?? "",
          country: customer.country,
        }),
      ),
    { description: "Shape valid customers as warehouse rows" },
  ),
  { dependsOn: ["validate_customer_records"] },
);

runIfMain(import.meta.url, async () => {
  await using crm = await startCrm();
  const run = await new SequentialExecutor().execute(workflow, { params: { crmUrl: crm.url } });
  printRun(run);
  for (const node of workflow.tasks) console.log(`${node.name}: ${node.description}`);
});
