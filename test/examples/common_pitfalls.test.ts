import { afterEach, describe, expect, it } from "vitest";
import { applied, load_defaults, merged, workflow } from "../../examples/common_pitfalls.js";
import { json, type LocalApi, startLocalApi } from "../../examples/support/local-api.js";
import { AsyncExecutor, NonRetryableError } from "../../src/index.js";
import { failedRun } from "./helpers.js";

describe("examples/common_pitfalls.ts (Modifying External State, Not Handling None)", () => {
  let api: LocalApi | undefined;
  afterEach(async () => {
    await api?.close();
    api = undefined;
  });

  async function runWithSettings(settings: unknown) {
    const server = await startLocalApi({ "/settings": json(settings) });
    api = server;
    return new AsyncExecutor({ maxConcurrent: 4 }).execute(workflow, {
      params: { apiUrl: server.url },
    });
  }

  it("merges data returned by concurrent tasks, with nothing shared to race on", async () => {
    await runWithSettings({ theme: "dark" });
    expect(merged.result).toEqual({ value: 2, currency: "EUR" });
    // The inputs were not modified by the merge.
    expect(workflow.getTask("load_defaults").result).toEqual({ value: 1, currency: "EUR" });
    expect(load_defaults()).toEqual({ value: 1, currency: "EUR" });
    expect(applied.result).toEqual({ theme: "dark" });
  });

  it("falls back to a default for a missing key", async () => {
    await runWithSettings({});
    expect(applied.result).toEqual({ theme: "default" });
  });

  it("fails clearly, at once, when the upstream result is null", async () => {
    const { run } = await failedRun(runWithSettings(null));
    const failure = run.tasks.apply_settings;
    expect(failure).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(failure?.error).toBeInstanceOf(NonRetryableError);
    expect(failure?.error?.message).toContain("upstream data required");
    // The independent branch still finished.
    expect(run.tasks.merge_settings?.status).toBe("COMPLETED");
  });
});
