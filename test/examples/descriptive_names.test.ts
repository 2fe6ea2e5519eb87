import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workflow } from "../../examples/descriptive_names.js";
import { startCrm } from "../../examples/support/crm.js";
import type { LocalApi } from "../../examples/support/local-api.js";
import { SequentialExecutor } from "../../src/index.js";

describe("examples/descriptive_names.ts (Meaningful Task Names)", () => {
  let crm: LocalApi;
  beforeEach(async () => {
    crm = await startCrm();
  });
  afterEach(async () => {
    await crm.close();
  });

  it("runs the named steps in order and shapes warehouse rows", async () => {
    const run = await new SequentialExecutor().execute(workflow, { params: { crmUrl: crm.url } });
    expect(Object.keys(run.tasks)).toEqual([
      "fetch_raw_customer_data",
      "validate_customer_records",
      "transform_for_warehouse",
    ]);
    expect(workflow.getTask("transform_for_warehouse").result).toEqual([
      {
        customer_id: 101,
        display_name: "Alice Martin",
        email_domain: "example.com",
        country: "FR",
      },
      { customer_id: 102, display_name: "Bob Chen", email_domain: "example.com", country: "US" },
      {
        customer_id: 105,
        display_name: "Dana Kowalski",
        email_domain: "example.com",
        country: "PL",
      },
      {
        customer_id: 107,
        display_name: "Fatima Zahra",
        email_domain: "example.com",
        country: "MA",
      },
    ]);
    expect(workflow.getTask("validate_customer_records").description).toBe(
      "Reject customers without a name or a valid e-mail",
    );
  });

  it("names the step that failed, so the failure reads without the code", async () => {
    // Without crmUrl the task would start the local CRM stand-in; a bad one fails it.
    const run = new SequentialExecutor().execute(workflow, { params: { crmUrl: 42 } });
    await expect(run).rejects.toMatchObject({ failedTasks: ["fetch_raw_customer_data"] });
    await expect(run).rejects.toThrow('"fetch_raw_customer_data"');
    expect(workflow.getTask("fetch_raw_customer_data").error?.message).toContain(
      'needs the run parameter "crmUrl"',
    );
  });
});
