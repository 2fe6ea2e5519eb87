/**
 * Common Pitfalls: "Modifying External State in Tasks" and "Not Handling None in
 * Context". ("Forgetting depends_on" is explicit_dependencies.ts; "Ignoring Timeouts"
 * is unreliable_api_call in retries_and_timeouts.ts.)
 *
 * - load_defaults and load_overrides (the seed's task_a and task_b) return their data
 *   instead of writing into a shared object; merge_settings receives both by name. Run
 *   them concurrently as much as you like: nothing is shared, nothing races.
 * - fetch_settings may legitimately get `null` from the API; apply_settings checks it
 *   and fails with a message that says what is missing, instead of a TypeError three
 *   lines later, and falls back to a default for a missing key.
 *
 *   npx flowweaver run examples/common_pitfalls.ts --executor async
 *   npx tsx examples/common_pitfalls.ts
 */
import { AsyncExecutor, NonRetryableError, task, Workflow } from "flowweaver";
import { getJson } from "./support/http.js";
import { json, startLocalApi } from "./support/local-api.js";
import { runIfMain } from "./support/main.js";
import { serviceUrl } from "./support/params.js";
import { printRun } from "./support/report.js";
import { lazyStandIn } from "./support/stand-in.js";

export interface Settings {
  readonly value: number;
  readonly currency?: string;
}

// Return data, don't modify globals.
export const load_defaults = task("load_defaults", (): Settings => ({ value: 1, currency: "EUR" }));
export const load_overrides = task("load_overrides", (): Settings => ({ value: 2 }));

export const merge_settings = task(
  "merge_settings",
  ({ load_defaults, load_overrides }: { load_defaults: Settings; load_overrides: Settings }) => ({
    ...load_defaults,
    ...load_overrides,
  }),
);

/** The tenant API for runs without an `apiUrl` parameter, started by fetch_settings. */
export const settingsApi = lazyStandIn("the tenant settings API", () => ({
  "/settings": json({ theme: "dark" }),
}));

/** The API answers `null` when nothing is configured for this tenant. */
export const fetch_settings = task(
  "fetch_settings",
  async (_inputs, ctx) =>
    getJson<Record<string, string> | null>(
      `${await serviceUrl(ctx, "apiUrl", settingsApi)}/settings`,
      { signal: ctx.signal },
    ),
  { retries: 2, retryDelay: "200ms", timeout: "30s" },
);

export const apply_settings = task(
  "apply_settings",
  ({ fetch_settings }: { fetch_settings: Record<string, string> | null }) => {
    if (!fetch_settings)
      throw new NonRetryableError("upstream data required: fetch_settings returned nothing");
    return { theme: fetch_settings.theme ?? "default" };
  },
);

export const workflow = new Workflow({
  name: "tenant_settings",
  description: "Merge default and override settings; apply the tenant's own",
  module: import.meta.url,
});
workflow.addTask(load_defaults);
workflow.addTask(load_overrides);
export const merged = workflow.addTask(merge_settings, {
  dependsOn: [load_defaults, load_overrides],
});
workflow.addTask(fetch_settings);
export const applied = workflow.addTask(apply_settings, { dependsOn: [fetch_settings] });

runIfMain(import.meta.url, async () => {
  await using api = await startLocalApi({ "/settings": json({ theme: "dark" }) });
  const run = await new AsyncExecutor({ maxConcurrent: 4 }).execute(workflow, {
    params: { apiUrl: api.url },
  });
  printRun(run);
  console.log("merged:", merged.result, "applied:", applied.result);
});
