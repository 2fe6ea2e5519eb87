import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  convert_revenue,
  fetch_exchange_rates,
  RATES,
  startRatesApi,
  workflow,
} from "../../examples/state_cleanup.js";
import type { LocalApi } from "../../examples/support/local-api.js";
import { workflow as typedUsers } from "../../examples/typed_context.js";
import { JSONStateStore, SequentialExecutor, task, Workflow } from "../../src/index.js";
import { outcome, tempDir } from "./helpers.js";

describe("examples/state_cleanup.ts (Explicit State Cleanup)", () => {
  let dir: ReturnType<typeof tempDir>;
  let stateStore: JSONStateStore;
  let api: LocalApi | undefined;
  beforeEach(() => {
    dir = tempDir();
    stateStore = new JSONStateStore(join(dir.path, "state.json"));
  });
  afterEach(async () => {
    await api?.close();
    api = undefined;
    await stateStore.close();
    dir.remove();
  });

  async function runWithRates(rates: typeof RATES) {
    await api?.close();
    const server = await startRatesApi(rates);
    api = server;
    return new SequentialExecutor({ stateStore }).execute(workflow, {
      params: { apiUrl: server.url },
    });
  }

  it("reuses stored rates until the state is cleared, then runs everything again", async () => {
    expect(outcome(await runWithRates(RATES)).ran).toEqual([
      "fetch_exchange_rates",
      "convert_revenue",
    ]);
    const eur = (workflow.getTask("convert_revenue").result as Record<string, number>).EUR;

    // New rates upstream, but the stored completion wins: this is the staleness to manage.
    const stale = await runWithRates({ ...RATES, EUR: 1 });
    expect(outcome(stale).restored).toEqual(["fetch_exchange_rates", "convert_revenue"]);
    expect(workflow.getTask("convert_revenue").result).toMatchObject({ EUR: eur });

    await stateStore.clearAllStates("exchange_rates");
    const fresh = await runWithRates({ ...RATES, EUR: 1 });
    expect(outcome(fresh).ran).toEqual(["fetch_exchange_rates", "convert_revenue"]);
    expect(workflow.getTask("convert_revenue").result).toMatchObject({ EUR: 62_820 });
  });

  it("re-runs a task whose version changed, and only what depends on it", async () => {
    await runWithRates(RATES);
    const revised = new Workflow("exchange_rates");
    revised.addTask(fetch_exchange_rates);
    revised.addTask(task("convert_revenue", convert_revenue.definition.fn, { version: 2 }), {
      dependsOn: [fetch_exchange_rates],
    });
    const server = api;
    const run = await new SequentialExecutor({ stateStore }).execute(revised, {
      params: { apiUrl: server?.url },
    });
    expect(outcome(run)).toEqual({ ran: ["convert_revenue"], restored: ["fetch_exchange_rates"] });
    expect(server?.hits("/rates")).toBe(1);
  });

  it("clearAllStates(name) leaves other workflows alone; clearAllStates() clears all", async () => {
    await runWithRates(RATES);
    const executor = new SequentialExecutor({ stateStore });
    await executor.execute(typedUsers);
    await stateStore.clearAllStates("exchange_rates");
    expect(outcome(await executor.execute(typedUsers)).restored).toEqual([
      "fetch_users",
      "process_users",
    ]);
    await stateStore.clearAllStates();
    expect(outcome(await executor.execute(typedUsers)).ran).toEqual([
      "fetch_users",
      "process_users",
    ]);
  });
});
